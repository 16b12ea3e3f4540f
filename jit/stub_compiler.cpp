// CallPlan -> LLVM IR: an invoker-shaped stub that does the C ABI lowering LLVM leaves to us.
#include "jit/stub_compiler.hpp"

#include <llvm/IR/Attributes.h>
#include <llvm/IR/DataLayout.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include <algorithm>

#include "marshal/error.hpp"

namespace jiffi::detail {

namespace {

// The name of a slot class in messages.
const char* class_name(ValueClass c) {
    switch (c) {
    case ValueClass::Void: return "void";
    case ValueClass::SInt: return "signed integer";
    case ValueClass::UInt: return "unsigned integer";
    case ValueClass::Float: return "float";
    case ValueClass::Double: return "double";
    case ValueClass::Pointer: return "pointer";
    case ValueClass::Memory: return "memory";
    }
    return "?";
}

// Builds one stub function; every method may throw Error(UNSUPPORTED) naming the value.
class StubBuilder {
public:
    StubBuilder(llvm::Module& module, const StubSpec& spec)
        : module_(module), spec_(spec), ctx_(module.getContext()),
          dl_(module.getDataLayout()), b_(ctx_) {}

    // Emits the stub named name into the module.
    void build(const std::string& name);

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
    return out + " (" + kinds[static_cast<int>(a.kind)] + ", " + class_name(s.cls) + " slot of " +
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

// Lowers C argument index into the call's parameters per its plan.
void StubBuilder::lower_argument(size_t index, Lowered& out) {
    const ArgPlan& a = spec_.plan.args[index];
    const SlotInfo& s = spec_.args[index];
    std::string what = describe_value(static_cast<long>(index));
    bool memory = s.cls == ValueClass::Memory;
    auto bytes = [&] { return b_.CreateAlignedLoad(b_.getPtrTy(), slot_address(index), llvm::Align(8)); };
    llvm::AttrBuilder attrs(ctx_);
    switch (a.kind) {
    case PassKind::Ignore: return;
    case PassKind::Extend:
    case PassKind::Direct: {
        llvm::Type* type = lower(a.type, what);
        if (type->isVoidTy()) unsupported(what, "a void parameter type");
        if (a.kind == PassKind::Extend) {
            if (!type->isIntegerTy()) unsupported(what, "an extended value that is not an integer");
            attrs.addAttribute(a.sign ? llvm::Attribute::SExt : llvm::Attribute::ZExt);
        }
        if (a.noundef) attrs.addAttribute(llvm::Attribute::NoUndef);
        if (a.offset && (!memory || a.offset >= s.size))
            unsupported(what, "a direct offset of " + std::to_string(a.offset) + " bytes into it");
        llvm::Value* v = memory ? value_from_bytes(b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), bytes(), a.offset),
                                                   s.size - a.offset, type)
                                : scalar_from_slot(index, type);
        if (a.kind == PassKind::Direct && a.flatten && type->isStructTy()) {
            // A flattened coerce struct: one parameter per member.
            for (unsigned i = 0; i < type->getStructNumElements(); ++i) {
                out.values.push_back(b_.CreateExtractValue(v, i));
                out.types.push_back(type->getStructElementType(i));
                out.attrs.push_back(llvm::AttributeSet::get(ctx_, attrs));
            }
            return;
        }
        if (a.kind == PassKind::Direct && a.align) attrs.addStackAlignmentAttr(a.align);
        out.values.push_back(v);
        out.types.push_back(type);
        out.attrs.push_back(llvm::AttributeSet::get(ctx_, attrs));
        return;
    }
    case PassKind::Indirect: {
        if (!memory) unsupported(what, "an indirect argument must come from a memory slot");
        if (a.size != s.size && a.size != 0)
            unsupported(what, "the plan's size " + std::to_string(a.size) + " differs from the C size");
        llvm::Value* p = bytes();
        uint64_t align = std::max<uint64_t>(a.align, 1);
        if (a.byval) {
            // The callee's copy is made by the call from p; over-aligned values are first
            // copied to memory aligned as the plan promises.
            if (align > 8) {
                llvm::AllocaInst* copy = temporary(s.size, std::max<uint64_t>(align, s.align));
                b_.CreateMemCpy(copy, copy->getAlign(), p, llvm::Align(1), s.size);
                p = copy;
            }
            attrs.addByValAttr(pointee_type(a, s.size, what));
            attrs.addAlignmentAttr(llvm::Align(align));
        } else {
            // A pointer to a copy the callee may modify (AAPCS64 composites over 16 bytes).
            llvm::AllocaInst* copy = temporary(s.size, std::max<uint64_t>({align, s.align, 16}));
            b_.CreateMemCpy(copy, copy->getAlign(), p, llvm::Align(1), s.size);
            p = copy;
            if (a.noundef) attrs.addAttribute(llvm::Attribute::NoUndef);
            if (a.align) attrs.addAlignmentAttr(llvm::Align(align));
        }
        out.values.push_back(p);
        out.types.push_back(b_.getPtrTy());
        out.attrs.push_back(llvm::AttributeSet::get(ctx_, attrs));
        return;
    }
    }
}

// Stores the call's result at ret by the slot rules of C_API.md.
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

void StubBuilder::build(const std::string& name) {
    const CallPlan& plan = spec_.plan;
    if (plan.args.size() != spec_.args.size())
        unsupported("the call", "the plan and the slots disagree on the argument count");
    if (plan.fixed_count > plan.args.size())
        unsupported("the call", "more fixed arguments than arguments");
    if (plan.triple != Target::host().triple)
        unsupported("the call", "the plan is for target " + plan.triple + ", not the host " +
                                    Target::host().triple);

    llvm::Type* ptr = b_.getPtrTy();
    auto* stub_type = llvm::FunctionType::get(b_.getVoidTy(), {ptr, ptr, ptr}, false);
    llvm::Function* stub =
        llvm::Function::Create(stub_type, llvm::Function::ExternalLinkage, name, module_);
    try {
        llvm::Value* fn = stub->getArg(0);
        args_ = stub->getArg(1);
        llvm::Value* ret = stub->getArg(2);
        entry_ = llvm::BasicBlock::Create(ctx_, "entry", stub);
        b_.SetInsertPoint(entry_);

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
                unsupported(what, "an sret return must go to a memory slot");
            uint64_t size = spec_.ret.size;
            uint64_t align = std::max<uint64_t>(r.align, 1);
            // The callee writes straight into ret when ret is as aligned as the plan says
            // (C_API.md promises _Alignof of the return type), else into a temporary.
            llvm::Value* dest = ret;
            if (align > spec_.ret.align) {
                llvm::AllocaInst* tmp = temporary(size, align);
                dest = tmp;
                sret_copy_from = tmp;
            }
            llvm::AttrBuilder a(ctx_);
            a.addStructRetAttr(pointee_type(r, size, what));
            a.addAlignmentAttr(llvm::Align(align));
            params.values.push_back(dest);
            params.types.push_back(ptr);
            params.attrs.push_back(llvm::AttributeSet::get(ctx_, a));
            fixed_params = 1;
            break;
        }
        case PassKind::Extend:
        case PassKind::Direct:
            ret_type = lower(r.type, what);
            if (r.kind == PassKind::Extend) {
                if (!ret_type->isIntegerTy()) unsupported(what, "an extended value that is not an integer");
                ret_attrs.addAttribute(r.sign ? llvm::Attribute::SExt : llvm::Attribute::ZExt);
            }
            if (r.noundef && !ret_type->isVoidTy()) ret_attrs.addAttribute(llvm::Attribute::NoUndef);
            break;
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
        // The stub stores to ret unconditionally (C_API.md: ret points at the return storage
        // unless the return is void); jiffi_function_call gives a null ret a scratch buffer.
        // No test for null keeps the path after the call short and the stub one block.
        if (sret_copy_from) {
            b_.CreateMemCpy(ret, llvm::Align(1), sret_copy_from, llvm::Align(1), spec_.ret.size);
        } else if (!ret_type->isVoidTy() && spec_.ret.cls != ValueClass::Void) {
            store_result(call, ret);
        } else if (!ret_type->isVoidTy() && spec_.ret.cls == ValueClass::Void) {
            unsupported(what, "a value returned for a void return type");
        }
        b_.CreateRetVoid();
    } catch (...) {
        stub->eraseFromParent();
        throw;
    }
}

}  // namespace

void emit_stub(llvm::Module& module, const StubSpec& spec, const std::string& name) {
    StubBuilder(module, spec).build(name);
}

}  // namespace jiffi::detail
