// The ORC LLJIT behind every stub: host target, O2 pipeline, one resource tracker per module.
#include "jit/jit_engine.hpp"

#include <llvm/ExecutionEngine/Orc/Core.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include <chrono>
#include <mutex>

#include "jit/stub_compiler.hpp"

namespace jiffi::detail {

namespace {

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

}  // namespace

class CodeBlock {
public:
    explicit CodeBlock(llvm::orc::ResourceTrackerSP tracker) : tracker(std::move(tracker)) {}
    ~CodeBlock() { JitEngine::instance().remove(*this); }
    CodeBlock(const CodeBlock&) = delete;
    CodeBlock& operator=(const CodeBlock&) = delete;

    llvm::orc::ResourceTrackerSP tracker;
};

struct JitEngine::Impl {
    // Serializes module building and compilation: one TargetMachine compiles in place.
    mutable std::mutex mu;
    std::unique_ptr<llvm::orc::LLJIT> jit;
    std::unique_ptr<llvm::TargetMachine> tm;  // the optimizer's view of the host
    uint64_t next_id = 0;
    JitEngineStats stats;

    // A module for the JIT's target, in ctx.
    std::unique_ptr<llvm::Module> new_module(llvm::LLVMContext& ctx);
    // Emits each spec as a stub into module; names[i] is empty when spec i failed.
    void emit(llvm::Module& module, const std::vector<const StubSpec*>& specs,
              std::vector<std::string>& names, CompiledBatch& out);
    // Runs the O2 pipeline over module with the host's target information.
    void optimize(llvm::Module& module);
};

std::unique_ptr<llvm::Module> JitEngine::Impl::new_module(llvm::LLVMContext& ctx) {
    auto module = std::make_unique<llvm::Module>("jiffi_stubs", ctx);
    module->setDataLayout(jit->getDataLayout());
    module->setTargetTriple(jit->getTargetTriple().str());
    return module;
}

void JitEngine::Impl::emit(llvm::Module& module, const std::vector<const StubSpec*>& specs,
                           std::vector<std::string>& names, CompiledBatch& out) {
    std::string cpu = tm->getTargetCPU().str();
    std::string features = tm->getTargetFeatureString().str();
    for (size_t i = 0; i < specs.size(); ++i) {
        std::string name = "jiffi_stub_" + std::to_string(next_id++);
        try {
            emit_stub(module, *specs[i], name);
            llvm::Function* f = module.getFunction(name);
            f->addFnAttr("target-cpu", cpu);
            f->addFnAttr("target-features", features);
            names[i] = name;
        } catch (const Error& e) {
            out.errors[i] = std::make_shared<const Error>(e);
        }
    }
}

void JitEngine::Impl::optimize(llvm::Module& module) {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(tm.get());
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2).run(module, mam);
}

JitEngine::JitEngine() : impl_(std::make_unique<Impl>()) {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    auto jtmb = take(llvm::orc::JITTargetMachineBuilder::detectHost(), "detecting the host target");
    jtmb.setCodeGenOptLevel(llvm::CodeGenOptLevel::Default);
    impl_->tm = take(jtmb.createTargetMachine(), "creating a target machine for the host");
    impl_->jit = take(llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(jtmb)).create(),
                      "creating the LLJIT");
}

JitEngine& JitEngine::instance() {
    // Never destroyed: stubs may be released by other static destructors at exit.
    static JitEngine* engine = new JitEngine();
    return *engine;
}

CompiledBatch JitEngine::compile(const std::vector<const StubSpec*>& specs) {
    CompiledBatch out;
    out.code.assign(specs.size(), nullptr);
    out.errors.assign(specs.size(), nullptr);
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto start = std::chrono::steady_clock::now();

    auto ctx = std::make_unique<llvm::LLVMContext>();
    std::unique_ptr<llvm::Module> module = impl_->new_module(*ctx);
    std::vector<std::string> names(specs.size());
    impl_->emit(*module, specs, names, out);
    if (module->empty()) return out;
    auto emitted = std::chrono::steady_clock::now();

    std::string problems;
    llvm::raw_string_ostream os(problems);
    if (llvm::verifyModule(*module, &os))
        fail(ErrorCode::INTERNAL, "the JIT generated invalid IR: " + os.str());
    impl_->optimize(*module);
    auto optimized = std::chrono::steady_clock::now();

    llvm::orc::LLJIT& jit = *impl_->jit;
    llvm::orc::ResourceTrackerSP tracker = jit.getMainJITDylib().createResourceTracker();
    if (llvm::Error err = jit.addIRModule(tracker, llvm::orc::ThreadSafeModule(std::move(module), std::move(ctx))))
        fail_llvm(std::move(err), "adding a stub module");
    // One lookup of every name materializes the module once.
    llvm::orc::SymbolLookupSet lookup;
    for (const std::string& name : names)
        if (!name.empty()) lookup.add(jit.mangleAndIntern(name));
    auto symbols = jit.getExecutionSession().lookup(
        llvm::orc::makeJITDylibSearchOrder(&jit.getMainJITDylib()), std::move(lookup));
    if (!symbols) {
        llvm::Error err = symbols.takeError();
        if (llvm::Error gone = tracker->remove()) llvm::consumeError(std::move(gone));
        fail_llvm(std::move(err), "compiling a stub module");
    }
    size_t compiled = 0;
    for (size_t i = 0; i < names.size(); ++i) {
        if (names[i].empty()) continue;
        auto it = symbols->find(jit.mangleAndIntern(names[i]));
        if (it == symbols->end()) {
            out.errors[i] = std::make_shared<const Error>(ErrorCode::JIT, "the compiled module lacks " + names[i]);
            continue;
        }
        out.code[i] = it->second.getAddress().toPtr<jiffi_invoker>();
        ++compiled;
    }
    out.block = std::make_shared<CodeBlock>(std::move(tracker));
    impl_->stats.stubs_compiled += compiled;
    impl_->stats.modules_compiled += 1;
    impl_->stats.live_blocks += 1;
    impl_->stats.compile_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    impl_->stats.emit_seconds += std::chrono::duration<double>(emitted - start).count();
    impl_->stats.optimize_seconds += std::chrono::duration<double>(optimized - emitted).count();
    return out;
}

std::string JitEngine::stub_ir(const StubSpec& spec) {
    std::lock_guard<std::mutex> lock(impl_->mu);
    llvm::LLVMContext ctx;
    std::unique_ptr<llvm::Module> module = impl_->new_module(ctx);
    std::vector<std::string> names(1);
    CompiledBatch out;
    out.errors.resize(1);
    std::vector<const StubSpec*> specs{&spec};
    impl_->emit(*module, specs, names, out);
    if (out.errors[0]) throw *out.errors[0];
    impl_->optimize(*module);
    std::string text;
    llvm::raw_string_ostream os(text);
    module->getFunction(names[0])->print(os);
    return os.str();
}

JitEngineStats JitEngine::stats() const {
    std::lock_guard<std::mutex> lock(impl_->mu);
    return impl_->stats;
}

void JitEngine::remove(CodeBlock& block) noexcept {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (!block.tracker) return;
    if (llvm::Error err = block.tracker->remove()) llvm::consumeError(std::move(err));
    block.tracker = nullptr;
    impl_->stats.live_blocks -= 1;
}

}  // namespace jiffi::detail
