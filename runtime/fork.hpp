// fork() support: the process-wide atfork handlers and the live contexts they lock.
#pragma once

struct jiffi_context;

namespace jiffi::detail {

// Registers the atfork handlers once per process (later calls cost one atomic load): before a
// fork they take every jiffi lock in one fixed order, after it they release them, and in the
// child they also forget the parent's other threads.
void install_fork_handlers();

// Adds a context to the set whose locks the handlers take (from its constructor).
void fork_track_context(jiffi_context* ctx);
// Removes a context from that set (first thing in its destructor).
void fork_untrack_context(jiffi_context* ctx);

// The layout discovery's locks (runtime/discover_client.cpp, when built): its materialization and
// plugin-loading locks (outer), and its memo lock (a leaf).
void discover_fork_prepare_outer() noexcept;
void discover_fork_prepare_leaf() noexcept;
void discover_fork_release_leaf() noexcept;
void discover_fork_release_outer() noexcept;

}  // namespace jiffi::detail
