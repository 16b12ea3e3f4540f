// CallPlan -> LLVM IR: an invoker-shaped stub that does the C ABI lowering LLVM leaves to us.
#include "jit/stub_compiler.hpp"

#include <llvm/IR/Attributes.h>
#include <llvm/IR/DataLayout.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/TargetParser/Triple.h>
#include <llvm/IR/Module.h>

#include <algorithm>
#include <cstddef>

#include "base/error.hpp"
#include "callbacks/records.hpp"

namespace jiffi::detail {

namespace {

// What the JIT refuses in more than one place, one text each.
constexpr const char* kSretNeedsMemory = "an sret return must go to a memory slot";
constexpr const char* kIndirectNeedsMemory = "an indirect argument must come from a memory slot";
constexpr const char* kValueForVoid = "a value returned for a void return type";

// Builds one stub function; every method may throw Error(UNSUPPORTED) naming the value.
class StubBuilder {
public:
    StubBuilder(llvm::Module& module, const StubSpec& spec)
        : module_(module), spec_(spec), ctx_(module.getContext()),
          dl_(module.getDataLayout()), b_(ctx_) {}

    // Emits the invoker named name into the module.
    void build(const std::string& name);
    // Emits the batch named name: void name(ptr args[], ptr rets[]) making every call.
    void build_batch(const std::string& name);
    // Emits the callback thunk named name into the module.
    void build_thunk(const std::string& name);

private:
    // The parameters one C argument contributes to the call.
    struct Lowered {
        std::vector<llvm::Value*> values;
        std::vector<llvm::Type*> types;
        std::vector<llvm::AttributeSet> attrs;
    };

    [[noreturn]] void unsupported(const std::string& what, const std::string& why) const;
    std::string describe_value(long index) const;
    llvm::Type* lower(const IrType& t, const std::string& what) const;
    llvm::Align align_of(llvm::Type* t) const { return dl_.getABITypeAlign(t); }
    llvm::Type* pointee_type(const ArgPlan& a, uint64_t size, const std::string& what) const;
    llvm::AllocaInst* temporary(uint64_t size, uint64_t align);
    llvm::Value* slot_address(size_t index);
    llvm::Value* scalar_from_slot(size_t index, llvm::Type* type);
    llvm::Value* value_from_bytes(llvm::Value* bytes, uint64_t size, llvm::Type* type);
    void lower_argument(size_t index, Lowered& out);
    void store_result(llvm::Value* result, llvm::Value* ret);
    void check_plan() const;
    llvm::Type* sse_scalar(llvm::Type* type) const;
    llvm::Type* direct_type(const ArgPlan& a, const std::string& what, llvm::AttrBuilder& attrs) const;
    llvm::Type* direct_param(size_t index, const std::string& what, llvm::AttrBuilder& attrs) const;
    void push_direct(const ArgPlan& a, llvm::Type* type, llvm::AttrBuilder& attrs, Lowered& out,
                     const std::vector<llvm::Value*>& values);
    llvm::AttributeSet indirect_attrs(const ArgPlan& a, uint64_t size, const std::string& what) const;
    llvm::AttributeSet sret_attrs(const ArgPlan& r, uint64_t size, const std::string& what) const;
    void emit_call(llvm::Value* fn, llvm::Value* args, llvm::Value* ret, llvm::Value* err);
    llvm::Type* callee_param(size_t index, Lowered& out);
    void store_argument(size_t index, llvm::Function* thunk, unsigned& param, llvm::Value* slots);
    llvm::Value* load_result(llvm::Value* buf, llvm::Type* type);
    llvm::Value* thread_field(size_t offset);

    llvm::Module& module_;
    const StubSpec& spec_;
    llvm::LLVMContext& ctx_;
    const llvm::DataLayout& dl_;
    llvm::IRBuilder<> b_;
    llvm::Value* args_ = nullptr;
    llvm::BasicBlock* entry_ = nullptr;
};

void StubBuilder::unsupported(const std::string& what, const std::string& why) const {
    fail(ErrorCode::UNSUPPORTED, "the JIT backend cannot pass " + what + ": " + why);
}

// "argument 2 (direct <2 x float>, memory slot)" or "the return value (...)"; index -1 is
// the return value.
std::string StubBuilder::describe_value(long index) const {
    const ArgPlan& a = index < 0 ? spec_.plan.ret : spec_.plan.args[static_cast<size_t>(index)];
    const SlotInfo& s = index < 0 ? spec_.ret : spec_.args[static_cast<size_t>(index)];
    static const char* kinds[] = {"direct", "extend", "indirect", "ignore"};
    std::string out = index < 0 ? "the return value" : "argument " + std::to_string(index + 1);
    return out + " (" + kinds[static_cast<int>(a.kind)] + ", " + value_class_name(s.cls) + " slot of " +
           std::to_string(s.size) + " bytes)";
}

// The LLVM type t describes; what names the value it is for.
llvm::Type* StubBuilder::lower(const IrType& t, const std::string& what) const {
    switch (t.kind) {
    case IrType::Kind::Void: return llvm::Type::getVoidTy(ctx_);
    case IrType::Kind::Int:
        if (t.bits == 0 || t.bits > 1024) unsupported(what, "an integer of " + std::to_string(t.bits) + " bits");
        return llvm::IntegerType::get(ctx_, t.bits);
    case IrType::Kind::Float: return llvm::Type::getFloatTy(ctx_);
    case IrType::Kind::Double: return llvm::Type::getDoubleTy(ctx_);
    case IrType::Kind::X86Fp80: return llvm::Type::getX86_FP80Ty(ctx_);
    case IrType::Kind::Fp128: return llvm::Type::getFP128Ty(ctx_);
    case IrType::Kind::Ptr: return llvm::PointerType::get(ctx_, 0);
    case IrType::Kind::Vector:
    case IrType::Kind::Array: {
        if (t.elems.size() != 1 || t.elems[0].kind == IrType::Kind::Void)
            unsupported(what, "a vector or array type without an element type");
        llvm::Type* elem = lower(t.elems[0], what);
        if (t.kind == IrType::Kind::Array) return llvm::ArrayType::get(elem, t.count);
        if (t.count == 0 || !llvm::VectorType::isValidElementType(elem))
            unsupported(what, "an invalid vector type");
        return llvm::FixedVectorType::get(elem, t.count);
    }
    case IrType::Kind::Struct: {
        std::vector<llvm::Type*> members;
        for (const IrType& e : t.elems) {
            if (e.kind == IrType::Kind::Void) unsupported(what, "a void struct member");
            members.push_back(lower(e, what));
        }
        return llvm::StructType::get(ctx_, members, t.packed);
    }
    }
    unsupported(what, "an unknown IR type kind");
}

// The byval or sret type of an indirect value: the plan's pointee when it has the C size,
// else the C size in bytes (the callee's copy never reads past the value).
llvm::Type* StubBuilder::pointee_type(const ArgPlan& a, uint64_t size, const std::string& what) const {
    if (a.pointee.kind != IrType::Kind::Void) {
        llvm::Type* t = lower(a.pointee, what);
        if (t->isSized() && dl_.getTypeAllocSize(t) == size) return t;
    }
    return llvm::ArrayType::get(llvm::Type::getInt8Ty(ctx_), size);
}

// A stack temporary of size bytes and alignment align, made at the top of the entry block.
llvm::AllocaInst* StubBuilder::temporary(uint64_t size, uint64_t align) {
    auto* type = llvm::ArrayType::get(b_.getInt8Ty(), std::max<uint64_t>(size, 1));
    llvm::IRBuilder<> top(entry_, entry_->begin());
    llvm::AllocaInst* a = top.CreateAlloca(type);
    a->setAlignment(llvm::Align(std::max<uint64_t>(align, 1)));
    return a;
}

// The address of slot index (args + index * 8).
llvm::Value* StubBuilder::slot_address(size_t index) {
    return b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), args_, index * sizeof(uint64_t));
}

// The value of a scalar slot as type: integers truncated from the i64 slot, a float slot
// promoted to double for a variadic call, pointers as they are.
llvm::Value* StubBuilder::scalar_from_slot(size_t index, llvm::Type* type) {
    const SlotInfo& s = spec_.args[index];
    llvm::Value* at = slot_address(index);
    switch (s.cls) {
    case ValueClass::SInt:
    case ValueClass::UInt: {
        llvm::Value* v = b_.CreateAlignedLoad(b_.getInt64Ty(), at, llvm::Align(8));
        if (type->isPointerTy()) return b_.CreateIntToPtr(v, type);
        if (!type->isIntegerTy()) break;
        unsigned bits = type->getIntegerBitWidth();
        if (bits < 64) return b_.CreateTrunc(v, type);
        if (bits > 64) return s.cls == ValueClass::SInt ? b_.CreateSExt(v, type) : b_.CreateZExt(v, type);
        return v;
    }
    case ValueClass::Float: {
        llvm::Value* v = b_.CreateAlignedLoad(b_.getFloatTy(), at, llvm::Align(8));
        if (type->isFloatTy()) return v;
        if (type->isDoubleTy()) return b_.CreateFPExt(v, type);
        break;
    }
    case ValueClass::Double:
        if (type->isDoubleTy()) return b_.CreateAlignedLoad(type, at, llvm::Align(8));
        break;
    case ValueClass::Pointer: {
        llvm::Value* v = b_.CreateAlignedLoad(b_.getPtrTy(), at, llvm::Align(8));
        if (type->isPointerTy()) return v;
        if (type->isIntegerTy(64)) return b_.CreatePtrToInt(v, type);
        break;
    }
    default: break;
    }
    std::string text;
    llvm::raw_string_ostream os(text);
    type->print(os);
    unsupported(describe_value(static_cast<long>(index)), "its slot cannot be passed as " + os.str());
}

// The value of type loaded from the size bytes at bytes. A coerce type larger than the
// value is loaded through a zeroed temporary, never past the end of the value.
llvm::Value* StubBuilder::value_from_bytes(llvm::Value* bytes, uint64_t size, llvm::Type* type) {
    uint64_t store = dl_.getTypeStoreSize(type);
    if (store <= size) return b_.CreateAlignedLoad(type, bytes, llvm::Align(1));
    uint64_t alloc = dl_.getTypeAllocSize(type);
    llvm::AllocaInst* tmp = temporary(std::max(alloc, size), align_of(type).value());
    b_.CreateMemSet(tmp, b_.getInt8(0), std::max(alloc, size), tmp->getAlign());
    if (size) b_.CreateMemCpy(tmp, tmp->getAlign(), bytes, llvm::Align(1), size);
    return b_.CreateLoad(type, tmp);
}

// type with every <2 x float> (at the top or as a struct member) made a double on x86-64:
// both travel in the low 8 bytes of one SSE register (an eightbyte of class SSE), but LLVM's
// fast instruction selector gives up on vector arguments and returns, and the slow one costs
// several times more compile time per stub.
llvm::Type* StubBuilder::sse_scalar(llvm::Type* type) const {
    auto is_v2f = [](llvm::Type* t) {
        auto* v = llvm::dyn_cast<llvm::FixedVectorType>(t);
        return v && v->getNumElements() == 2 && v->getElementType()->isFloatTy();
    };
    if (llvm::Triple(Target::host().triple).getArch() != llvm::Triple::x86_64) return type;
    if (is_v2f(type)) return llvm::Type::getDoubleTy(ctx_);
    if (auto* st = llvm::dyn_cast<llvm::StructType>(type)) {
        std::vector<llvm::Type*> members;
        bool changed = false;
        for (llvm::Type* m : st->elements()) {
            members.push_back(is_v2f(m) ? llvm::Type::getDoubleTy(ctx_) : m);
            changed |= members.back() != m;
        }
        if (changed) return llvm::StructType::get(ctx_, members, st->isPacked());
    }
    return type;
}

// The IR type of a Direct or Extend value, adding its signext/zeroext and noundef to attrs.
llvm::Type* StubBuilder::direct_type(const ArgPlan& a, const std::string& what, llvm::AttrBuilder& attrs) const {
    llvm::Type* type = sse_scalar(lower(a.type, what));
    if (a.kind == PassKind::Extend) {
        if (!type->isIntegerTy()) unsupported(what, "an extended value that is not an integer");
        attrs.addAttribute(a.sign ? llvm::Attribute::SExt : llvm::Attribute::ZExt);
    }
    if (a.noundef && !type->isVoidTy()) attrs.addAttribute(llvm::Attribute::NoUndef);
    return type;
}

// direct_type for argument index, checked against its slot (no void, an offset only into
// a memory slot).
llvm::Type* StubBuilder::direct_param(size_t index, const std::string& what, llvm::AttrBuilder& attrs) const {
    const ArgPlan& a = spec_.plan.args[index];
    const SlotInfo& s = spec_.args[index];
    llvm::Type* type = direct_type(a, what, attrs);
    if (type->isVoidTy()) unsupported(what, "a void parameter type");
    if (a.offset && (s.cls != ValueClass::Memory || a.offset >= s.size))
        unsupported(what, "a direct offset of " + std::to_string(a.offset) + " bytes into it");
    return type;
}

// Appends a Direct or Extend argument of type to out: a flattened coerce struct as one
// parameter per member, else one parameter (with its alignstack). values are the parameter
// values (empty when only the types are wanted).
void StubBuilder::push_direct(const ArgPlan& a, llvm::Type* type, llvm::AttrBuilder& attrs, Lowered& out,
                              const std::vector<llvm::Value*>& values) {
    if (a.kind == PassKind::Direct && a.flatten && type->isStructTy()) {
        for (unsigned i = 0; i < type->getStructNumElements(); ++i) {
            if (!values.empty()) out.values.push_back(values[i]);
            out.types.push_back(type->getStructElementType(i));
            out.attrs.push_back(llvm::AttributeSet::get(ctx_, attrs));
        }
        return;
    }
    if (a.kind == PassKind::Direct && a.align) attrs.addStackAlignmentAttr(a.align);
    if (!values.empty()) out.values.push_back(values[0]);
    out.types.push_back(type);
    out.attrs.push_back(llvm::AttributeSet::get(ctx_, attrs));
}

// The attributes of an Indirect argument of size bytes: byval with its pointee and
// alignment, or those of a plain pointer to a copy.
llvm::AttributeSet StubBuilder::indirect_attrs(const ArgPlan& a, uint64_t size, const std::string& what) const {
    llvm::AttrBuilder attrs(ctx_);
    uint64_t align = std::max<uint64_t>(a.align, 1);
    if (a.byval) {
        attrs.addByValAttr(pointee_type(a, size, what));
        attrs.addAlignmentAttr(llvm::Align(align));
    } else {
        if (a.noundef) attrs.addAttribute(llvm::Attribute::NoUndef);
        if (a.align) attrs.addAlignmentAttr(llvm::Align(align));
    }
    return llvm::AttributeSet::get(ctx_, attrs);
}

// The attributes of the sret pointer of a return of size bytes.
llvm::AttributeSet StubBuilder::sret_attrs(const ArgPlan& r, uint64_t size, const std::string& what) const {
    llvm::AttrBuilder a(ctx_);
    a.addStructRetAttr(pointee_type(r, size, what));
    a.addAlignmentAttr(llvm::Align(std::max<uint64_t>(r.align, 1)));
    return llvm::AttributeSet::get(ctx_, a);
}

// Lowers C argument index into the call's parameters per its plan.
void StubBuilder::lower_argument(size_t index, Lowered& out) {
    const ArgPlan& a = spec_.plan.args[index];
    const SlotInfo& s = spec_.args[index];
    std::string what = describe_value(static_cast<long>(index));
    bool memory = s.cls == ValueClass::Memory;
    auto bytes = [&] { return b_.CreateAlignedLoad(b_.getPtrTy(), slot_address(index), llvm::Align(8)); };
    switch (a.kind) {
    case PassKind::Ignore: return;
    case PassKind::Extend:
    case PassKind::Direct: {
        llvm::AttrBuilder attrs(ctx_);
        llvm::Type* type = direct_param(index, what, attrs);
        llvm::Value* v = memory ? value_from_bytes(b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), bytes(), a.offset),
                                                   s.size - a.offset, type)
                                : scalar_from_slot(index, type);
        std::vector<llvm::Value*> values;
        if (a.kind == PassKind::Direct && a.flatten && type->isStructTy()) {
            for (unsigned i = 0; i < type->getStructNumElements(); ++i) values.push_back(b_.CreateExtractValue(v, i));
        } else {
            values.push_back(v);
        }
        push_direct(a, type, attrs, out, values);
        return;
    }
    case PassKind::Indirect: {
        if (!memory) unsupported(what, kIndirectNeedsMemory);
        if (a.size != s.size && a.size != 0)
            unsupported(what, "the plan's size " + std::to_string(a.size) + " differs from the C size");
        llvm::Value* p = bytes();
        uint64_t align = std::max<uint64_t>(a.align, 1);
        if (a.byval && align > 8) {
            // The callee's copy is made by the call from p; over-aligned values are first
            // copied to memory aligned as the plan promises.
            llvm::AllocaInst* copy = temporary(s.size, std::max<uint64_t>(align, s.align));
            b_.CreateMemCpy(copy, copy->getAlign(), p, llvm::Align(1), s.size);
            p = copy;
        } else if (!a.byval) {
            // A pointer to a copy the callee may modify (AAPCS64 composites over 16 bytes).
            llvm::AllocaInst* copy = temporary(s.size, std::max<uint64_t>({align, s.align, 16}));
            b_.CreateMemCpy(copy, copy->getAlign(), p, llvm::Align(1), s.size);
            p = copy;
        }
        out.values.push_back(p);
        out.types.push_back(b_.getPtrTy());
        out.attrs.push_back(indirect_attrs(a, s.size, what));
        return;
    }
    }
}

// Stores the call's result at ret by the slot rules of docs/c-api.md.
void StubBuilder::store_result(llvm::Value* result, llvm::Value* ret) {
    const SlotInfo& s = spec_.ret;
    llvm::Type* type = result->getType();
    std::string what = describe_value(-1);
    switch (s.cls) {
    case ValueClass::Void: return;
    case ValueClass::SInt:
    case ValueClass::UInt: {
        llvm::Value* v = result;
        if (type->isPointerTy()) v = b_.CreatePtrToInt(v, b_.getInt64Ty());
        else if (!type->isIntegerTy()) unsupported(what, "an integer returned as a non-integer");
        // Never trust the upper bits: cut to the declared width, then widen by its sign.
        unsigned declared = static_cast<unsigned>(std::min<uint64_t>(s.size * 8, 64));
        unsigned bits = v->getType()->getIntegerBitWidth();
        if (bits > declared) v = b_.CreateTrunc(v, b_.getIntNTy(declared));
        bool sign = s.cls == ValueClass::SInt && v->getType()->getIntegerBitWidth() > 1;
        if (v->getType()->getIntegerBitWidth() < 64)
            v = sign ? b_.CreateSExt(v, b_.getInt64Ty()) : b_.CreateZExt(v, b_.getInt64Ty());
        b_.CreateAlignedStore(v, ret, llvm::Align(1));
        return;
    }
    case ValueClass::Float:
        if (!type->isFloatTy()) unsupported(what, "a float returned as another type");
        // The f32 member with the upper four bytes zero.
        b_.CreateAlignedStore(b_.CreateZExt(b_.CreateBitCast(result, b_.getInt32Ty()), b_.getInt64Ty()),
                              ret, llvm::Align(1));
        return;
    case ValueClass::Double:
        if (!type->isDoubleTy()) unsupported(what, "a double returned as another type");
        b_.CreateAlignedStore(result, ret, llvm::Align(1));
        return;
    case ValueClass::Pointer:
        if (!type->isPointerTy() && !type->isIntegerTy(64))
            unsupported(what, "a pointer returned as another type");
        b_.CreateAlignedStore(result, ret, llvm::Align(1));
        return;
    case ValueClass::Memory: {
        // Exactly size bytes reach ret, whatever the coerce type's size; bytes the coerce
        // type does not cover (padding, a direct offset) are zero.
        uint64_t offset = spec_.plan.ret.offset;
        if (offset >= s.size && s.size) unsupported(what, "a direct offset past its end");
        uint64_t store = dl_.getTypeStoreSize(type);
        if (offset == 0 && store == s.size) {
            b_.CreateAlignedStore(result, ret, llvm::Align(1));
            return;
        }
        uint64_t alloc = std::max<uint64_t>(dl_.getTypeAllocSize(type) + offset, s.size);
        llvm::AllocaInst* tmp = temporary(alloc, std::max<uint64_t>(align_of(type).value(), 16));
        if (offset + store < s.size || offset) b_.CreateMemSet(tmp, b_.getInt8(0), alloc, tmp->getAlign());
        b_.CreateStore(result, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), tmp, offset));
        b_.CreateMemCpy(ret, llvm::Align(1), tmp, tmp->getAlign(), s.size);
        return;
    }
    }
}

// Throws UNSUPPORTED unless the plan and the slots agree and the plan is for the host.
void StubBuilder::check_plan() const {
    const CallPlan& plan = spec_.plan;
    if (plan.args.size() != spec_.args.size())
        unsupported("the call", "the plan and the slots disagree on the argument count");
    if (plan.fixed_count > plan.args.size())
        unsupported("the call", "more fixed arguments than arguments");
    if (plan.triple != Target::host().triple)
        unsupported("the call", "the plan is for target " + plan.triple + ", not the host " +
                                    Target::host().triple);
}

void StubBuilder::build(const std::string& name) {
    check_plan();
    llvm::Type* ptr = b_.getPtrTy();
    bool with_errno = spec_.kind == StubKind::ErrnoInvoker;
    std::vector<llvm::Type*> stub_params{ptr, ptr, ptr};
    if (with_errno) stub_params.push_back(ptr);
    auto* stub_type = llvm::FunctionType::get(b_.getVoidTy(), stub_params, false);
    llvm::Function* stub =
        llvm::Function::Create(stub_type, llvm::Function::ExternalLinkage, name, module_);
    try {
        entry_ = llvm::BasicBlock::Create(ctx_, "entry", stub);
        b_.SetInsertPoint(entry_);
        emit_call(stub->getArg(0), stub->getArg(1), stub->getArg(2), with_errno ? stub->getArg(3) : nullptr);
        b_.CreateRetVoid();
    } catch (...) {
        stub->eraseFromParent();
        throw;
    }
}

void StubBuilder::build_batch(const std::string& name) {
    if (spec_.calls.size() != spec_.fns.size() || spec_.calls.empty())
        unsupported("the batch", "it needs one function address per call and at least one call");
    llvm::Type* ptr = b_.getPtrTy();
    auto* type = llvm::FunctionType::get(b_.getVoidTy(), {ptr, ptr}, false);
    llvm::Function* batch = llvm::Function::Create(type, llvm::Function::ExternalLinkage, name, module_);
    try {
        entry_ = llvm::BasicBlock::Create(ctx_, "entry", batch);
        for (size_t i = 0; i < spec_.calls.size(); ++i) {
            // Each call is lowered by its own spec into the same block, its function a constant.
            StubBuilder call(module_, spec_.calls[i]);
            call.check_plan();
            call.entry_ = entry_;
            call.b_.SetInsertPoint(entry_);
            auto slot = [&](llvm::Value* table) {
                return call.b_.CreateAlignedLoad(
                    ptr, call.b_.CreateConstInBoundsGEP1_64(ptr, table, i), llvm::Align(8));
            };
            llvm::Value* args = slot(batch->getArg(0));
            llvm::Value* ret = slot(batch->getArg(1));
            llvm::Value* fn = call.b_.CreateIntToPtr(call.b_.getInt64(spec_.fns[i]), ptr);
            call.emit_call(fn, args, ret, nullptr);
        }
        b_.SetInsertPoint(entry_);
        b_.CreateRetVoid();
    } catch (...) {
        batch->eraseFromParent();
        throw;
    }
}

// Emits at the insertion point the call of fn by the spec's plan with the arguments in the
// slots at args, its result stored at ret and, when err is not null, errno stored at err.
void StubBuilder::emit_call(llvm::Value* fn, llvm::Value* args, llvm::Value* ret, llvm::Value* err) {
    const CallPlan& plan = spec_.plan;
    llvm::Type* ptr = b_.getPtrTy();
    args_ = args;
    Lowered params;
    size_t fixed_params = 0;
    const ArgPlan& r = plan.ret;
    std::string what = describe_value(-1);
    llvm::Type* ret_type = b_.getVoidTy();
    llvm::AttrBuilder ret_attrs(ctx_);
    llvm::Value* sret_copy_from = nullptr;
    switch (r.kind) {
    case PassKind::Ignore: break;
    case PassKind::Indirect: {
        if (spec_.ret.cls != ValueClass::Memory)
            unsupported(what, kSretNeedsMemory);
        uint64_t size = spec_.ret.size;
        uint64_t align = std::max<uint64_t>(r.align, 1);
        // The callee writes straight into ret when ret is as aligned as the plan says
        // (docs/c-api.md promises _Alignof of the return type), else into a temporary.
        llvm::Value* dest = ret;
        if (align > spec_.ret.align) {
            llvm::AllocaInst* tmp = temporary(size, align);
            dest = tmp;
            sret_copy_from = tmp;
        }
        params.values.push_back(dest);
        params.types.push_back(ptr);
        params.attrs.push_back(sret_attrs(r, size, what));
        fixed_params = 1;
        break;
    }
    case PassKind::Extend:
    case PassKind::Direct: ret_type = direct_type(r, what, ret_attrs); break;
    }

    for (size_t i = 0; i < plan.args.size(); ++i) {
        lower_argument(i, params);
        if (i + 1 == plan.fixed_count) fixed_params = params.values.size();
    }
    if (!plan.variadic) fixed_params = params.values.size();
    // A variadic callee is typed with only its fixed parameters, so that the call
    // follows the variadic convention (on x86-64, %al counts the vector registers).
    std::vector<llvm::Type*> fixed(params.types.begin(),
                                   params.types.begin() + static_cast<long>(fixed_params));
    auto* callee_type = llvm::FunctionType::get(ret_type, fixed, plan.variadic);
    llvm::CallInst* call = b_.CreateCall(callee_type, fn, params.values);
    call->setAttributes(llvm::AttributeList::get(ctx_, llvm::AttributeSet(),
                                                 llvm::AttributeSet::get(ctx_, ret_attrs),
                                                 params.attrs));
    if (err) {
        // errno as the callee left it, read before anything else can touch it.
        llvm::FunctionCallee where =
            module_.getOrInsertFunction("__errno_location", llvm::FunctionType::get(ptr, {}, false));
        llvm::Value* value = b_.CreateAlignedLoad(b_.getInt32Ty(), b_.CreateCall(where), llvm::Align(4));
        b_.CreateAlignedStore(value, err, llvm::Align(4));
    }
    // The stub stores to ret unconditionally (docs/c-api.md: ret points at the return storage
    // unless the return is void); jiffi_function_call gives a null ret a scratch buffer.
    // No test for null keeps the path after the call short and the stub one block.
    if (sret_copy_from) {
        b_.CreateMemCpy(ret, llvm::Align(1), sret_copy_from, llvm::Align(1), spec_.ret.size);
    } else if (!ret_type->isVoidTy() && spec_.ret.cls != ValueClass::Void) {
        store_result(call, ret);
    } else if (!ret_type->isVoidTy() && spec_.ret.cls == ValueClass::Void) {
        unsupported(what, kValueForVoid);
    }
}

// The IR parameter types C argument index arrives as in a thunk, appended to out (values
// unused); returns the lowered type of a Direct or Extend argument, else null.
llvm::Type* StubBuilder::callee_param(size_t index, Lowered& out) {
    const ArgPlan& a = spec_.plan.args[index];
    const SlotInfo& s = spec_.args[index];
    std::string what = describe_value(static_cast<long>(index));
    switch (a.kind) {
    case PassKind::Ignore: return nullptr;
    case PassKind::Extend:
    case PassKind::Direct: {
        if (s.cls == ValueClass::Void) unsupported(what, "a void slot");
        llvm::AttrBuilder attrs(ctx_);
        llvm::Type* type = direct_param(index, what, attrs);
        push_direct(a, type, attrs, out, {});
        return type;
    }
    case PassKind::Indirect:
        if (s.cls != ValueClass::Memory) unsupported(what, kIndirectNeedsMemory);
        out.types.push_back(b_.getPtrTy());
        out.attrs.push_back(indirect_attrs(a, s.size, what));
        return nullptr;
    }
    return nullptr;
}

// Stores C argument index of a thunk, arriving from IR parameter `param` on, into its slot
// by the docs/c-api.md slot rules; values of memory slots are copied to the thunk's frame.
void StubBuilder::store_argument(size_t index, llvm::Function* thunk, unsigned& param, llvm::Value* slots) {
    const ArgPlan& a = spec_.plan.args[index];
    const SlotInfo& s = spec_.args[index];
    std::string what = describe_value(static_cast<long>(index));
    llvm::Value* at = b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), slots, index * sizeof(uint64_t));
    switch (a.kind) {
    case PassKind::Ignore:
        // Nothing arrives (an empty record): the handler gets zeroed bytes.
        if (s.cls == ValueClass::Memory) {
            llvm::AllocaInst* empty = temporary(std::max<uint64_t>(s.size, 1), std::max<uint32_t>(s.align, 1));
            b_.CreateMemSet(empty, b_.getInt8(0), std::max<uint64_t>(s.size, 1), empty->getAlign());
            b_.CreateAlignedStore(empty, at, llvm::Align(8));
        } else {
            b_.CreateAlignedStore(b_.getInt64(0), at, llvm::Align(8));
        }
        return;
    case PassKind::Indirect:
        // byval: the caller's copy on the stack; otherwise a pointer to the caller's copy.
        b_.CreateAlignedStore(thunk->getArg(param++), at, llvm::Align(8));
        return;
    case PassKind::Extend:
    case PassKind::Direct: break;
    }
    llvm::Type* type = lower(a.type, what);
    llvm::Value* v;
    if (a.kind == PassKind::Direct && a.flatten && type->isStructTy()) {
        v = llvm::PoisonValue::get(type);
        for (unsigned i = 0; i < type->getStructNumElements(); ++i)
            v = b_.CreateInsertValue(v, thunk->getArg(param++), i);
    } else {
        v = thunk->getArg(param++);
    }
    switch (s.cls) {
    case ValueClass::Memory: {
        uint64_t end = a.offset + dl_.getTypeAllocSize(type);
        uint64_t size = std::max<uint64_t>(end, s.size);
        llvm::AllocaInst* copy = temporary(size, std::max<uint64_t>(s.align, align_of(type).value()));
        if (a.offset || dl_.getTypeStoreSize(type) < s.size)
            b_.CreateMemSet(copy, b_.getInt8(0), size, copy->getAlign());
        b_.CreateStore(v, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), copy, a.offset));
        b_.CreateAlignedStore(copy, at, llvm::Align(8));
        return;
    }
    case ValueClass::SInt:
    case ValueClass::UInt: {
        if (type->isPointerTy()) v = b_.CreatePtrToInt(v, b_.getInt64Ty());
        if (!v->getType()->isIntegerTy() || v->getType()->getIntegerBitWidth() > 64)
            unsupported(what, "an integer slot for a value that is not an integer of at most 64 bits");
        unsigned bits = v->getType()->getIntegerBitWidth();
        // Widened by the C type's sign, whatever the caller left in the upper bits.
        unsigned declared = static_cast<unsigned>(std::min<uint64_t>(s.size * 8, 64));
        if (bits > declared) v = b_.CreateTrunc(v, b_.getIntNTy(declared));
        bool sign = s.cls == ValueClass::SInt && v->getType()->getIntegerBitWidth() > 1;
        if (v->getType()->getIntegerBitWidth() < 64)
            v = sign ? b_.CreateSExt(v, b_.getInt64Ty()) : b_.CreateZExt(v, b_.getInt64Ty());
        b_.CreateAlignedStore(v, at, llvm::Align(8));
        return;
    }
    case ValueClass::Float:
        if (!type->isFloatTy()) unsupported(what, "a float slot for a value that is not a float");
        b_.CreateAlignedStore(b_.CreateZExt(b_.CreateBitCast(v, b_.getInt32Ty()), b_.getInt64Ty()), at,
                              llvm::Align(8));
        return;
    case ValueClass::Double:
        if (!type->isDoubleTy()) unsupported(what, "a double slot for a value that is not a double");
        b_.CreateAlignedStore(v, at, llvm::Align(8));
        return;
    case ValueClass::Pointer:
        if (!type->isPointerTy() && !type->isIntegerTy(64))
            unsupported(what, "a pointer slot for a value that is not a pointer");
        b_.CreateAlignedStore(v, at, llvm::Align(8));
        return;
    case ValueClass::Void: break;
    }
    unsupported(what, "a void slot");
}

// The thunk's return value of type, read from the handler's result at buf.
llvm::Value* StubBuilder::load_result(llvm::Value* buf, llvm::Type* type) {
    const SlotInfo& s = spec_.ret;
    std::string what = describe_value(-1);
    switch (s.cls) {
    case ValueClass::SInt:
    case ValueClass::UInt: {
        llvm::Value* v = b_.CreateAlignedLoad(b_.getInt64Ty(), buf, llvm::Align(8));
        if (type->isPointerTy()) return b_.CreateIntToPtr(v, type);
        if (!type->isIntegerTy() || type->getIntegerBitWidth() > 64)
            unsupported(what, "an integer slot returned as another type");
        return type->getIntegerBitWidth() < 64 ? b_.CreateTrunc(v, type) : v;
    }
    case ValueClass::Float:
        if (!type->isFloatTy()) unsupported(what, "a float slot returned as another type");
        return b_.CreateAlignedLoad(type, buf, llvm::Align(8));
    case ValueClass::Double:
        if (!type->isDoubleTy()) unsupported(what, "a double slot returned as another type");
        return b_.CreateAlignedLoad(type, buf, llvm::Align(8));
    case ValueClass::Pointer:
        if (!type->isPointerTy() && !type->isIntegerTy(64))
            unsupported(what, "a pointer slot returned as another type");
        return b_.CreateAlignedLoad(type, buf, llvm::Align(8));
    case ValueClass::Memory:
        return b_.CreateLoad(type, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), buf, spec_.plan.ret.offset));
    case ValueClass::Void: break;
    }
    unsupported(what, "a value for a void return type");
}

// A pointer to the field at offset of the running thread's callback record.
llvm::Value* StubBuilder::thread_field(size_t offset) {
    int64_t at = spec_.thunk.tls_offset + static_cast<int64_t>(offset);
    llvm::Triple host(Target::host().triple);
    if (host.getArch() == llvm::Triple::x86_64) {
        // %fs-relative: address space 257 on x86-64.
        return b_.CreateIntToPtr(b_.getInt64(static_cast<uint64_t>(at)), llvm::PointerType::get(ctx_, 257));
    }
    llvm::Function* tp = llvm::Intrinsic::getDeclaration(&module_, llvm::Intrinsic::thread_pointer);
    return b_.CreateConstGEP1_64(b_.getInt8Ty(), b_.CreateCall(tp), at);
}

void StubBuilder::build_thunk(const std::string& name) {
    const CallPlan& plan = spec_.plan;
    check_plan();
    if (plan.variadic)
        unsupported("the callback", "a variadic callback cannot know the types of its variadic arguments");
    const ThunkRuntime& rt = spec_.thunk;
    llvm::Type* ptr = b_.getPtrTy();
    Lowered params;
    // The callback slot arrives in the static-chain register, outside the C arguments.
    params.types.push_back(ptr);
    params.attrs.push_back(llvm::AttributeSet::get(ctx_, llvm::AttrBuilder(ctx_).addAttribute(llvm::Attribute::Nest)));
    const ArgPlan& r = plan.ret;
    std::string what = describe_value(-1);
    llvm::Type* ret_type = b_.getVoidTy();
    llvm::AttrBuilder ret_attrs(ctx_);
    bool sret = false;
    switch (r.kind) {
    case PassKind::Ignore: break;
    case PassKind::Indirect: {
        if (spec_.ret.cls != ValueClass::Memory) unsupported(what, kSretNeedsMemory);
        params.types.push_back(ptr);
        params.attrs.push_back(sret_attrs(r, spec_.ret.size, what));
        sret = true;
        break;
    }
    case PassKind::Extend:
    case PassKind::Direct:
        ret_type = direct_type(r, what, ret_attrs);
        if (!ret_type->isVoidTy() && spec_.ret.cls == ValueClass::Void)
            unsupported(what, kValueForVoid);
        break;
    }
    for (size_t i = 0; i < plan.args.size(); ++i) callee_param(i, params);

    auto* type = llvm::FunctionType::get(ret_type, params.types, false);
    llvm::Function* thunk = llvm::Function::Create(type, llvm::Function::ExternalLinkage, name, module_);
    thunk->setAttributes(llvm::AttributeList::get(ctx_, llvm::AttributeSet(), llvm::AttributeSet::get(ctx_, ret_attrs),
                                                  params.attrs));
    // Handlers never unwind into C; a foreign caller may have left the stack misaligned.
    thunk->addFnAttr(llvm::Attribute::NoUnwind);
    thunk->addFnAttr("stackrealign");
    try {
        entry_ = llvm::BasicBlock::Create(ctx_, "entry", thunk);
        b_.SetInsertPoint(entry_);
        llvm::Value* slot = thunk->getArg(0);
        llvm::Value* depth = nullptr;
        if (rt.tls) {
            // Record the call in the thread's record (the trampoline's entry code registered
            // the thread): the slot in the active entry of its depth, then the depth, then
            // clear the mark the trampoline set before it read the slot.
            depth = b_.CreateAlignedLoad(b_.getInt32Ty(), thread_field(offsetof(ThreadRecord, depth)), llvm::Align(4));
            llvm::Value* last = b_.getInt32(kActiveCallbacks);
            llvm::Value* entry = b_.CreateSelect(b_.CreateICmpULT(depth, last), depth, last);
            llvm::Value* at = b_.CreateGEP(ptr, thread_field(offsetof(ThreadRecord, active)), b_.CreateZExt(entry, b_.getInt64Ty()));
            b_.CreateAlignedStore(slot, at, llvm::Align(8));
            b_.CreateFence(llvm::AtomicOrdering::SequentiallyConsistent, llvm::SyncScope::SingleThread);
            b_.CreateAlignedStore(b_.CreateAdd(depth, b_.getInt32(1)), thread_field(offsetof(ThreadRecord, depth)),
                                  llvm::Align(4));
            b_.CreateFence(llvm::AtomicOrdering::SequentiallyConsistent, llvm::SyncScope::SingleThread);
            b_.CreateAlignedStore(b_.getInt8(0), thread_field(offsetof(ThreadRecord, entering)), llvm::Align(1));
            b_.CreateFence(llvm::AtomicOrdering::SequentiallyConsistent, llvm::SyncScope::SingleThread);
        }
        llvm::Value* handler = b_.CreateAlignedLoad(
            ptr, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), slot, offsetof(SlotData, handler)), llvm::Align(8));
        llvm::Value* user = b_.CreateAlignedLoad(
            ptr, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), slot, offsetof(SlotData, user_data)), llvm::Align(8));
        llvm::AllocaInst* slots = temporary(std::max<size_t>(plan.args.size(), 1) * sizeof(uint64_t), 16);
        unsigned param = sret ? 2 : 1;
        for (size_t i = 0; i < plan.args.size(); ++i) store_argument(i, thunk, param, slots);

        // The handler writes the result by the slot rules into zeroed storage, so a handler
        // that writes nothing returns zero.
        llvm::Value* buf;
        if (sret) {
            buf = thunk->getArg(1);
            if (spec_.ret.size) b_.CreateMemSet(buf, b_.getInt8(0), spec_.ret.size, llvm::Align(1));
        } else {
            uint64_t size = std::max<uint64_t>(16, spec_.ret.size);
            if (!ret_type->isVoidTy()) size = std::max<uint64_t>(size, r.offset + dl_.getTypeAllocSize(ret_type));
            llvm::AllocaInst* tmp = temporary(size, 16);
            b_.CreateMemSet(tmp, b_.getInt8(0), size, tmp->getAlign());
            buf = tmp;
        }
        auto* handler_type = llvm::FunctionType::get(b_.getVoidTy(), {ptr, ptr, ptr}, false);
        b_.CreateCall(handler_type, handler, {user, slots, buf});
        llvm::Value* result = ret_type->isVoidTy() ? nullptr : load_result(buf, ret_type);
        if (depth) {
            // The call is over: nothing of the slot is read after this.
            b_.CreateFence(llvm::AtomicOrdering::SequentiallyConsistent, llvm::SyncScope::SingleThread);
            b_.CreateAlignedStore(depth, thread_field(offsetof(ThreadRecord, depth)), llvm::Align(4));
        }
        if (result) b_.CreateRet(result);
        else b_.CreateRetVoid();
    } catch (...) {
        thunk->eraseFromParent();
        throw;
    }
}

}  // namespace

void emit_stub(llvm::Module& module, const StubSpec& spec, const std::string& name) {
    switch (spec.kind) {
    case StubKind::Thunk: StubBuilder(module, spec).build_thunk(name); return;
    case StubKind::Batch: StubBuilder(module, spec).build_batch(name); return;
    default: StubBuilder(module, spec).build(name); return;
    }
}

}  // namespace jiffi::detail
