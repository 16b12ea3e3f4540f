// The ORC LLJIT behind every stub: IR passes and codegen once per batch, JITLink, the disk cache.
#include "jit/orc_engine.hpp"

#include "base/secure_io.hpp"

#include <llvm/Config/llvm-config.h>
#include <llvm/ExecutionEngine/Orc/Core.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/SmallVectorMemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/InstCombine/InstCombine.h>
#include <llvm/Transforms/Scalar/EarlyCSE.h>
#include <llvm/Transforms/Scalar/SROA.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "jit/host_environment.hpp"
#include "jit/object_cache.hpp"
#include "jit/stub_compiler.hpp"

namespace jiffi::detail {

namespace {

using Clock = std::chrono::steady_clock;

// Seconds from a to b.
double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// Converts an llvm::Error into jiffi's Error(JIT), saying what was being done.
[[noreturn]] void fail_llvm(llvm::Error err, const std::string& doing) {
    fail(ErrorCode::JIT, "LLVM failed while " + doing + ": " + llvm::toString(std::move(err)));
}

// The value of e, or Error(JIT) saying what was being done.
template <class T>
T take(llvm::Expected<T> e, const std::string& doing) {
    if (!e) fail_llvm(e.takeError(), doing);
    return std::move(*e);
}

// The symbol of the i-th stub of an object (the objects are in JITDylibs of their own).
std::string stub_symbol(size_t i) { return "s" + std::to_string(i); }

}  // namespace

class OrcBlock {
public:
    OrcBlock(llvm::orc::JITDylib* dylib, uint64_t cache_id) : dylib(dylib), cache_id(cache_id) {}
    ~OrcBlock() { OrcEngine::instance().remove(*this); }
    OrcBlock(const OrcBlock&) = delete;
    OrcBlock& operator=(const OrcBlock&) = delete;

    llvm::orc::JITDylib* dylib;  // the object's own JITDylib, removed with the block
    uint64_t cache_id;           // the CachedObject id it was loaded from, or 0
};

namespace {

// What a builder made of a batch: the object (stubs "s0".."s<n-1>"), the spec index of each
// stub placed in it, the specs it could not emit, and where its time went.
struct Built {
    llvm::SmallVector<char, 0> object;
    std::vector<size_t> placed;
    std::vector<std::pair<size_t, std::shared_ptr<const Error>>> errors;
    double emit_seconds = 0, optimize_seconds = 0, codegen_seconds = 0;
};

// One thread's means of turning stubs into an object file: its own LLVM context, target
// machines, IR passes and codegen pipelines. Used by one thread at a time.
class Builder {
public:
    Builder(llvm::orc::JITTargetMachineBuilder jtmb, const llvm::DataLayout& layout);

    // The object of the stubs of specs[todo], with the specs it placed and those it refused.
    Built build(const std::vector<const StubSpec*>& specs, const std::vector<size_t>& todo);
    // The IR of spec's stub after the passes, for `jiffi plan`.
    std::string ir(const StubSpec& spec);

    const llvm::TargetMachine& machine() const { return *tm_; }

private:
    // A target machine's codegen passes writing object files to a buffer, built once and run
    // on every module: building them costs more than generating a small module's code.
    struct CodegenPipeline {
        llvm::SmallVector<char, 0> object;
        llvm::raw_svector_ostream os{object};
        llvm::legacy::PassManager pm;
    };

    // A module for the JIT's target.
    std::unique_ptr<llvm::Module> new_module();
    // Runs the stub passes over the functions of module that need them: the stubs are
    // straight-line code whose only waste is stack temporaries, so SROA (keeping the CFG: one
    // block suits O0 codegen), early CSE and instcombine do all that O2 would.
    void optimize(llvm::Module& module);
    // The relocatable object file of module.
    llvm::SmallVector<char, 0> codegen(llvm::Module& module, llvm::TargetMachine& machine);

    llvm::LLVMContext ctx_;  // reused: modules are deleted after codegen
    llvm::DataLayout layout_;
    std::unique_ptr<llvm::TargetMachine> tm_;  // the host, as codegen and the IR passes see it
    // O2 codegen for callback thunks and batches: made once and called in hot loops, they
    // are worth the register allocator O0 lacks (no spills around the calls).
    std::unique_ptr<llvm::TargetMachine> tm_thunks_;
    std::map<const llvm::TargetMachine*, std::unique_ptr<CodegenPipeline>> pipelines_;
    std::unique_ptr<llvm::PassBuilder> pb_;
    llvm::LoopAnalysisManager lam_;
    llvm::FunctionAnalysisManager fam_;
    llvm::CGSCCAnalysisManager cgam_;
    llvm::ModuleAnalysisManager mam_;
    llvm::FunctionPassManager passes_;
};

}  // namespace

struct OrcEngine::Impl {
    // An object loaded from the disk cache whose code is still mapped, to share, not reload.
    struct LoadedObject {
        std::weak_ptr<OrcBlock> block;
        std::vector<jiffi_invoker> code;  // by stub index in the object
    };

    // Serializes the engine: the builders, the LLJIT's linking, the cache and the stats.
    mutable std::mutex mu;
    std::unique_ptr<llvm::orc::LLJIT> jit;
    std::unique_ptr<llvm::orc::JITTargetMachineBuilder> jtmb;  // makes the builders' machines
    // builders[0] serves every compile; builders[1], made on first need, builds the second
    // half of a large batch on a helper thread.
    std::unique_ptr<Builder> builders[2];
    std::string environment;  // what a cached object depends on besides its spec keys
    std::unique_ptr<ObjectCache> cache;
    std::unordered_map<uint64_t, LoadedObject> loaded;  // by CachedObject id
    uint64_t next_dylib = 0;
    JitEngineStats stats;

    // Links object (stubs "s0".."s<count-1>") into a new JITDylib; the stubs' addresses go
    // to code. Returns the block, or null with the reason in why.
    std::shared_ptr<OrcBlock> link(std::unique_ptr<llvm::MemoryBuffer> object, size_t count,
                                    uint64_t cache_id, std::vector<jiffi_invoker>& code, std::string& why);
    // Removes a JITDylib and its code.
    void drop(llvm::orc::JITDylib& dylib) noexcept;
    // Serves the specs found in the disk cache; the indices of the others go to todo.
    void load_cached(const std::vector<const StubSpec*>& specs, OrcBatch& out, std::vector<size_t>& todo);
    // The code of obj: shared with a live load of the same file, else linked anew; null when
    // the object does not link.
    std::shared_ptr<OrcBlock> load(CachedObject& obj, std::vector<jiffi_invoker>& code);
    // Compiles specs[todo] (as two modules on two threads when the batch is large), storing
    // the objects in the disk cache when store.
    void compile_new(const std::vector<const StubSpec*>& specs, const std::vector<size_t>& todo, bool store,
                     OrcBatch& out);
    // Links the object a builder made and hands its stubs to out.
    void deliver(const std::vector<const StubSpec*>& specs, Built& built, bool store, OrcBatch& out);
};

namespace {

// Whether f has work for the IR passes: stack temporaries, memory intrinsics, or values of
// aggregate or vector type, which the fast instruction selector hands to the slow one. A
// stub of scalar loads, a call and stores is left as it is: O0 codegen makes the same code
// of it, and the passes would cost a sixth of its compile time.
bool needs_passes(const llvm::Function& f) {
    for (const llvm::BasicBlock& block : f) {
        for (const llvm::Instruction& inst : block) {
            if (llvm::isa<llvm::AllocaInst>(inst) || llvm::isa<llvm::MemIntrinsic>(inst)) return true;
            llvm::Type* t = inst.getType();
            if (t->isAggregateType() || t->isVectorTy()) return true;
        }
    }
    return false;
}

}  // namespace

Builder::Builder(llvm::orc::JITTargetMachineBuilder jtmb, const llvm::DataLayout& layout) : layout_(layout) {
    tm_ = take(jtmb.createTargetMachine(), "creating a target machine for the host");
    llvm::orc::JITTargetMachineBuilder thunk_jtmb = jtmb;
    thunk_jtmb.setCodeGenOptLevel(llvm::CodeGenOptLevel::Default);
    tm_thunks_ = take(thunk_jtmb.createTargetMachine(), "creating a target machine for thunks");
    pb_ = std::make_unique<llvm::PassBuilder>(tm_.get());
    pb_->registerModuleAnalyses(mam_);
    pb_->registerCGSCCAnalyses(cgam_);
    pb_->registerFunctionAnalyses(fam_);
    pb_->registerLoopAnalyses(lam_);
    pb_->crossRegisterProxies(lam_, fam_, cgam_, mam_);
    passes_.addPass(llvm::SROAPass(llvm::SROAOptions::PreserveCFG));
    passes_.addPass(llvm::EarlyCSEPass());
    passes_.addPass(llvm::InstCombinePass());
}

std::unique_ptr<llvm::Module> Builder::new_module() {
    auto module = std::make_unique<llvm::Module>("jiffi_stubs", ctx_);
    module->setDataLayout(layout_);
    module->setTargetTriple(tm_->getTargetTriple().str());
    return module;
}

void Builder::optimize(llvm::Module& module) {
    for (llvm::Function& f : module) {
        if (!f.isDeclaration() && needs_passes(f)) passes_.run(f, fam_);
    }
    // The analyses cached for this module's functions die with the module.
    lam_.clear();
    fam_.clear();
    cgam_.clear();
    mam_.clear();
}

llvm::SmallVector<char, 0> Builder::codegen(llvm::Module& module, llvm::TargetMachine& machine) {
    std::unique_ptr<CodegenPipeline>& p = pipelines_[&machine];
    if (!p) {
        p = std::make_unique<CodegenPipeline>();
        if (machine.addPassesToEmitFile(p->pm, p->os, nullptr, llvm::CodeGenFileType::ObjectFile))
            fail(ErrorCode::JIT, "LLVM cannot emit object files for the host target");
    }
    p->object.clear();
    p->pm.run(module);
    return llvm::SmallVector<char, 0>(p->object.begin(), p->object.end());
}

Built Builder::build(const std::vector<const StubSpec*>& specs, const std::vector<size_t>& todo) {
    Built out;
    auto start = Clock::now();
    std::unique_ptr<llvm::Module> module = new_module();
    for (size_t i : todo) {
        try {
            emit_stub(*module, *specs[i], stub_symbol(out.placed.size()));
            out.placed.push_back(i);
        } catch (const Error& e) {
            out.errors.emplace_back(i, std::make_shared<const Error>(e));
        }
    }
    if (out.placed.empty()) return out;
    auto emitted = Clock::now();
#ifndef NDEBUG
    std::string problems;
    llvm::raw_string_ostream os(problems);
    if (llvm::verifyModule(*module, &os)) fail(ErrorCode::INTERNAL, "the JIT generated invalid IR: " + os.str());
#endif
    optimize(*module);
    auto optimized = Clock::now();
    bool thunks = std::all_of(out.placed.begin(), out.placed.end(),
                              [&](size_t i) { return !specs[i]->cacheable(); });
    out.object = codegen(*module, thunks ? *tm_thunks_ : *tm_);
    auto generated = Clock::now();
    out.emit_seconds = seconds(start, emitted);
    out.optimize_seconds = seconds(emitted, optimized);
    out.codegen_seconds = seconds(optimized, generated);
    return out;
}

std::string Builder::ir(const StubSpec& spec) {
    std::unique_ptr<llvm::Module> module = new_module();
    emit_stub(*module, spec, stub_symbol(0));
    optimize(*module);
    std::string text;
    llvm::raw_string_ostream os(text);
    module->getFunction(stub_symbol(0))->print(os);
    return os.str();
}

std::shared_ptr<OrcBlock> OrcEngine::Impl::link(std::unique_ptr<llvm::MemoryBuffer> object, size_t count,
                                                 uint64_t cache_id, std::vector<jiffi_invoker>& code,
                                                 std::string& why) {
    llvm::orc::ExecutionSession& es = jit->getExecutionSession();
    llvm::orc::JITDylib& dylib = es.createBareJITDylib("jiffi_" + std::to_string(next_dylib++));
    dylib.addToLinkOrder(*jit->getProcessSymbolsJITDylib());
    if (llvm::Error err = jit->getObjLinkingLayer().add(dylib, std::move(object))) {
        why = llvm::toString(std::move(err));
        drop(dylib);
        return nullptr;
    }
    // One lookup of every stub links the object once.
    llvm::orc::SymbolLookupSet names;
    std::vector<llvm::orc::SymbolStringPtr> interned;
    for (size_t i = 0; i < count; ++i) {
        interned.push_back(es.intern(stub_symbol(i)));
        names.add(interned.back());
    }
    auto symbols = es.lookup(llvm::orc::makeJITDylibSearchOrder(&dylib, llvm::orc::JITDylibLookupFlags::MatchAllSymbols),
                             std::move(names));
    if (!symbols) {
        why = llvm::toString(symbols.takeError());
        drop(dylib);
        return nullptr;
    }
    code.assign(count, nullptr);
    for (size_t i = 0; i < count; ++i) {
        auto it = symbols->find(interned[i]);
        if (it != symbols->end()) code[i] = it->second.getAddress().toPtr<jiffi_invoker>();
    }
    stats.live_blocks += 1;
    return std::make_shared<OrcBlock>(&dylib, cache_id);
}

void OrcEngine::Impl::drop(llvm::orc::JITDylib& dylib) noexcept {
    if (llvm::Error err = jit->getExecutionSession().removeJITDylib(dylib)) llvm::consumeError(std::move(err));
}

void OrcEngine::Impl::load_cached(const std::vector<const StubSpec*>& specs, OrcBatch& out,
                                  std::vector<size_t>& todo) {
    std::vector<std::string> keys;
    for (const StubSpec* s : specs) keys.push_back(s->key());
    std::vector<bool> served(specs.size(), false);
    for (size_t i = 0; i < specs.size(); ++i) {
        if (served[i]) continue;
        std::optional<CachedObject> obj = cache->find(keys[i]);
        std::vector<jiffi_invoker> code;
        std::shared_ptr<OrcBlock> block = obj ? load(*obj, code) : nullptr;
        if (!block) {
            todo.push_back(i);
            continue;
        }
        // The object serves every spec of the batch it holds, not only specs[i].
        std::unordered_map<std::string_view, size_t> index;
        for (size_t k = 0; k < obj->keys.size(); ++k) index.emplace(obj->keys[k], k);
        for (size_t j = i; j < specs.size(); ++j) {
            auto it = served[j] ? index.end() : index.find(keys[j]);
            if (it == index.end() || !code[it->second]) continue;
            out.code[j] = code[it->second];
            out.blocks[j] = block;
            served[j] = true;
            stats.cache_hits += 1;
        }
        if (!served[i]) todo.push_back(i);
    }
    stats.cache_misses += todo.size();
}

std::shared_ptr<OrcBlock> OrcEngine::Impl::load(CachedObject& obj, std::vector<jiffi_invoker>& code) {
    auto live = loaded.find(obj.id);
    if (live != loaded.end()) {
        if (std::shared_ptr<OrcBlock> block = live->second.block.lock()) {
            code = live->second.code;
            return block;
        }
    }
    // Only an ELF object is handed to JITLink: given a file it cannot identify, LLVM 19 leaks
    // the error it makes for it (seen by LeakSanitizer), and such a file is a miss anyway.
    if (obj.object.size() < 4 || obj.object.compare(0, 4, "\x7f" "ELF") != 0) return nullptr;
    auto start = Clock::now();
    llvm::SmallVector<char, 0> bytes(obj.object.begin(), obj.object.end());
    auto buffer = std::make_unique<llvm::SmallVectorMemoryBuffer>(std::move(bytes), "jiffi-cached-stubs", false);
    std::string why;
    std::shared_ptr<OrcBlock> block = link(std::move(buffer), obj.keys.size(), obj.id, code, why);
    stats.link_seconds += seconds(start, Clock::now());
    // An object that does not link (foreign, forged) is a miss: its stubs are recompiled
    // and the files rewritten.
    if (block) loaded[obj.id] = LoadedObject{block, code};
    return block;
}

void OrcEngine::Impl::compile_new(const std::vector<const StubSpec*>& specs, const std::vector<size_t>& todo,
                                  bool store, OrcBatch& out) {
    // A batch this large is worth a second thread: half its stubs built beside the others.
    constexpr size_t kParallelBatch = 32;
    std::vector<size_t> first = todo, second;
    if (todo.size() >= kParallelBatch && std::thread::hardware_concurrency() > 1) {
        second.assign(todo.begin() + static_cast<long>(todo.size() / 2), todo.end());
        first.resize(todo.size() / 2);
        if (!builders[1]) builders[1] = std::make_unique<Builder>(*jtmb, jit->getDataLayout());
    }
    Built built[2];
    std::future<void> helper;
    if (!second.empty())
        helper = std::async(std::launch::async, [&] { built[1] = builders[1]->build(specs, second); });
    try {
        built[0] = builders[0]->build(specs, first);
    } catch (...) {
        if (helper.valid()) helper.wait();
        throw;
    }
    if (helper.valid()) helper.get();
    for (Built& b : built) deliver(specs, b, store, out);
}

void OrcEngine::Impl::deliver(const std::vector<const StubSpec*>& specs, Built& built, bool store,
                              OrcBatch& out) {
    for (auto& [i, error] : built.errors) out.errors[i] = std::move(error);
    if (built.placed.empty()) return;
    auto start = Clock::now();
    std::string copy = store ? std::string(built.object.data(), built.object.size()) : std::string();
    auto buffer = std::make_unique<llvm::SmallVectorMemoryBuffer>(std::move(built.object), "jiffi-stubs", false);
    std::vector<jiffi_invoker> code;
    std::string why;
    std::shared_ptr<OrcBlock> block = link(std::move(buffer), built.placed.size(), 0, code, why);
    auto linked = Clock::now();
    if (!block) fail(ErrorCode::JIT, "LLVM failed while linking a stub module: " + why);
    size_t compiled = 0;
    for (size_t k = 0; k < built.placed.size(); ++k) {
        size_t i = built.placed[k];
        if (!code[k]) {
            out.errors[i] = std::make_shared<const Error>(ErrorCode::JIT, "the compiled module lacks " + stub_symbol(k));
            continue;
        }
        out.code[i] = code[k];
        out.blocks[i] = block;
        ++compiled;
    }
    if (store) {
        std::vector<std::string> keys;
        for (size_t i : built.placed) keys.push_back(specs[i]->key());
        cache->store(keys, copy);
    }
    stats.stubs_compiled += compiled;
    stats.modules_compiled += 1;
    stats.emit_seconds += built.emit_seconds;
    stats.optimize_seconds += built.optimize_seconds;
    stats.codegen_seconds += built.codegen_seconds;
    stats.link_seconds += seconds(start, linked);
}

OrcEngine::OrcEngine() : impl_(std::make_unique<Impl>()) {
    Impl& d = *impl_;
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    auto jtmb = take(llvm::orc::JITTargetMachineBuilder::detectHost(), "detecting the host target");
    // Objects are made here and linked by JITLink, which wants small-model PIC on x86-64.
    jtmb.setRelocationModel(llvm::Reloc::PIC_);
    jtmb.setCodeModel(llvm::CodeModel::Small);
    // O0 codegen (FastISel, fast register allocation) costs about a sixth of O1's per stub.
    // After the IR passes a stub is one block of loads, a call and stores, for which O0
    // emits what O1 does but for a spill of ret across the call instead of a push of rbx.
    jtmb.setCodeGenOptLevel(llvm::CodeGenOptLevel::None);
    d.jtmb = std::make_unique<llvm::orc::JITTargetMachineBuilder>(jtmb);
    // No static initializers run in stubs: the inactive platform skips ORC's per-module scans.
    d.jit = take(llvm::orc::LLJITBuilder()
                     .setJITTargetMachineBuilder(std::move(jtmb))
                     .setPlatformSetUp(llvm::orc::setUpInactivePlatform)
                     .create(),
                 "creating the LLJIT");
    if (!d.jit->getProcessSymbolsJITDylib()) fail(ErrorCode::JIT, "the LLJIT has no process symbols");
    d.builders[0] = std::make_unique<Builder>(*d.jtmb, d.jit->getDataLayout());
    // The environment of cached objects is the one the core computes too (it maps cached
    // stubs without this plugin): the LLVM it names must be this one.
    if (std::string(LLVM_VERSION_STRING) != JIFFI_LLVM_VERSION)
        fail(ErrorCode::JIT, "the JIT plugin runs LLVM " LLVM_VERSION_STRING " but was configured for " JIFFI_LLVM_VERSION);
    d.environment = host_environment();

    // The disk cache directory is the core's, given by set_cache_dir once the plugin loads.
}

namespace {

// The engine once made (never destroyed: stubs may be released by other static destructors
// at exit), and the lock its creation holds, which fork_prepare takes to wait it out.
std::atomic<OrcEngine*> the_engine{nullptr};
std::mutex engine_creation_mu;

}  // namespace

OrcEngine& OrcEngine::instance() {
    if (OrcEngine* e = the_engine.load(std::memory_order_acquire)) return *e;
    std::lock_guard<std::mutex> lock(engine_creation_mu);
    if (OrcEngine* e = the_engine.load(std::memory_order_relaxed)) return *e;
    auto* e = new OrcEngine();  // a throw leaves no engine: the next call tries again
    the_engine.store(e, std::memory_order_release);
    return *e;
}

void OrcEngine::fork_prepare() noexcept {
    engine_creation_mu.lock();
    if (OrcEngine* e = the_engine.load(std::memory_order_relaxed)) e->impl_->mu.lock();
}

void OrcEngine::fork_release() noexcept {
    if (OrcEngine* e = the_engine.load(std::memory_order_relaxed)) e->impl_->mu.unlock();
    engine_creation_mu.unlock();
}

OrcBatch OrcEngine::compile(const std::vector<const StubSpec*>& specs) {
    OrcBatch out;
    out.code.assign(specs.size(), nullptr);
    out.blocks.assign(specs.size(), nullptr);
    out.errors.assign(specs.size(), nullptr);
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto start = Clock::now();
    std::vector<size_t> todo;
    // A batch holding process-bound code (compiled batches) neither comes from nor goes to the disk.
    bool cached = impl_->cache && std::all_of(specs.begin(), specs.end(),
                                              [](const StubSpec* s) { return s->cacheable(); });
    if (cached) {
        impl_->load_cached(specs, out, todo);
    } else {
        for (size_t i = 0; i < specs.size(); ++i) todo.push_back(i);
    }
    if (!todo.empty()) impl_->compile_new(specs, todo, cached, out);
    impl_->stats.compile_seconds += seconds(start, Clock::now());
    return out;
}

void OrcEngine::set_cache_dir(const std::string& dir) {
    std::unique_ptr<ObjectCache> cache;
    if (!dir.empty()) cache = std::make_unique<ObjectCache>(dir, impl_->environment);
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->cache = std::move(cache);
}

const std::string& OrcEngine::cache_environment() const { return impl_->environment; }

std::string OrcEngine::stub_ir(const StubSpec& spec) {
    std::lock_guard<std::mutex> lock(impl_->mu);
    return impl_->builders[0]->ir(spec);
}

JitEngineStats OrcEngine::stats() const {
    std::lock_guard<std::mutex> lock(impl_->mu);
    return impl_->stats;
}

void OrcEngine::remove(OrcBlock& block) noexcept {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (!block.dylib) return;
    impl_->drop(*block.dylib);
    block.dylib = nullptr;
    impl_->stats.live_blocks -= 1;
    auto it = impl_->loaded.find(block.cache_id);
    if (block.cache_id && it != impl_->loaded.end() && it->second.block.expired()) impl_->loaded.erase(it);
}


}  // namespace jiffi::detail
