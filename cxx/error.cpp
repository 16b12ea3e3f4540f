// jiffi::Error's message, owned out of line and shared by copies of the error.
#include <atomic>
#include <cstring>
#include <new>
#include <string>

#include "jiffi/jiffi.hpp"

namespace jiffi {

// The message text and how many errors share it (copies of an exception must not throw).
struct Error::Message {
    std::atomic<long> refs{1};
    std::string text;
};

Error::Error(Errc code, std::string_view message) : code_(code), message_(new Message) {
    message_->text.assign(message.data(), message.size());
}
Error::Error(Errc code, const char* message) : Error(code, std::string_view(message ? message : "")) {}
Error::Error(Errc code, const std::string& message) : Error(code, std::string_view(message)) {}

Error::Error(const Error& o) noexcept : std::exception(o), code_(o.code_), message_(o.message_) {
    message_->refs.fetch_add(1, std::memory_order_relaxed);
}

Error& Error::operator=(const Error& o) noexcept {
    if (this != &o) {
        o.message_->refs.fetch_add(1, std::memory_order_relaxed);
        if (message_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete message_;
        code_ = o.code_;
        message_ = o.message_;
    }
    return *this;
}

Error::~Error() {
    if (message_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete message_;
}

const char* Error::what() const noexcept { return message_->text.c_str(); }

}  // namespace jiffi
