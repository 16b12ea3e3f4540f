// Hand-written expected plans for the ABI traps of docs/design.md, per target.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "abi/call_plan.hpp"
#include "layout/record_layout.hpp"
#include "marshal/cparse.hpp"
#include "base/error.hpp"

namespace jiffi::detail::test {

namespace {

// A parsing context for one target that classifies prototypes.
struct Px {
    TypeTable types;
    Declarations decls;

    explicit Px(const char* triple) : types(Target::from_triple(triple)) {
        install_record_layout(types);
        add_builtin_typedefs(types, decls);
    }

    // The plan of the prototype named fn after parsing decls.
    CallPlan plan(const std::string& decls_text, const std::string& fn) {
        parse_declarations(types, decls, decls_text);
        CallSignature s = make_call_signature(types, decls.functions.at(fn).type, fn);
        return classifier_for(types.target()).classify(types, s);
    }

    // The plan of a call of variadic fn with extra argument types.
    CallPlan vplan(const std::string& decls_text, const std::string& fn, const std::string& extra) {
        parse_declarations(types, decls, decls_text);
        CallSignature s = make_call_signature(types, decls.functions.at(fn).type, fn);
        CallSignature v = make_vararg_signature(types, s, parse_type_list(types, decls, extra));
        return classifier_for(types.target()).classify(types, v);
    }
};

}  // namespace

TEST_CASE("x86-64: {float,float} is packed into one xmm register as <2 x float>") {
    Px x("x86_64-linux-gnu");
    CallPlan p = x.plan("struct f2 { float a, b; }; struct f2 f(struct f2);", "f");
    REQUIRE(p.args.size() == 1);
    CHECK(p.args[0].kind == PassKind::Direct);
    CHECK(p.args[0].type == IrType::vector(IrType::f32(), 2));
    CHECK(p.args[0].fprs == 1);
    CHECK(p.args[0].gprs == 0);
    CHECK(p.ret.type.text() == "<2 x float>");
    CHECK(p.llvm_signature() == "<2 x float> (<2 x float>)");
}

TEST_CASE("x86-64: {double,double,double} goes in memory (byval), and is returned by sret") {
    Px x("x86_64-linux-gnu");
    CallPlan p = x.plan("struct d3 { double a, b, c; }; struct d3 f(struct d3, int);", "f");
    CHECK(p.ret.kind == PassKind::Indirect);
    CHECK(p.ret.align == 8);
    CHECK(p.ret.size == 24);
    CHECK(p.args[0].kind == PassKind::Indirect);
    CHECK(p.args[0].byval);
    CHECK(p.args[0].align == 8);
    CHECK(p.args[0].on_stack);
    // The sret pointer takes %rdi, the int %rsi.
    CHECK(p.args[1].gprs == 1);
    CHECK(p.stack_bytes == 24);
    CHECK(p.llvm_signature() ==
          "void (ptr dead_on_unwind noalias writable sret([24 x i8]) align 8, "
          "ptr noundef byval([24 x i8]) align 8, i32 noundef)");
}

TEST_CASE("x86-64: the all-or-nothing rule sends a whole aggregate to the stack, later scalars still use registers") {
    Px x("x86_64-linux-gnu");
    CallPlan p = x.plan("struct l2 { long a, b; }; void f(int, int, int, int, int, struct l2, long);", "f");
    REQUIRE(p.args.size() == 7);
    // One GPR is left for a two-eightbyte INTEGER struct: it goes wholly on the stack.
    CHECK(p.args[5].kind == PassKind::Indirect);
    CHECK(p.args[5].byval);
    CHECK(p.args[5].gprs == 0);
    // The long after it still takes %r9.
    CHECK(p.args[6].kind == PassKind::Direct);
    CHECK(p.args[6].gprs == 1);
    CHECK_FALSE(p.args[6].on_stack);

    CallPlan q = x.plan("struct dd { double a, b; };"
                        "void g(double, double, double, double, double, double, double, struct dd, double);",
                        "g");
    CHECK(q.args[7].kind == PassKind::Indirect);
    CHECK(q.args[8].fprs == 1);
}

TEST_CASE("x86-64: long double is x87 in memory; struct{long double} is byval and returned in st0") {
    Px x("x86_64-linux-gnu");
    CallPlan p = x.plan("struct ld { long double x; }; long double f(long double, struct ld);"
                        "struct ld g(void);",
                        "f");
    CHECK(p.ret.type == IrType::x86_fp80());
    CHECK(p.args[0].kind == PassKind::Direct);
    CHECK(p.args[0].type == IrType::x86_fp80());
    CHECK(p.args[0].on_stack);
    CHECK(p.args[0].noundef);
    CHECK(p.args[1].kind == PassKind::Indirect);
    CHECK(p.args[1].align == 16);
    CHECK(p.args[1].stack_offset == 16);
    CHECK(p.stack_bytes == 32);
    CallPlan g = x.plan("", "g");
    CHECK(g.ret.kind == PassKind::Direct);
    CHECK(g.ret.type == IrType::x86_fp80());
}

TEST_CASE("x86-64: __int128 is two GPRs, or byval when fewer than two GPRs are left") {
    Px x("x86_64-linux-gnu");
    CallPlan p = x.plan("__int128 f(__int128, int, int, int, __int128, long);", "f");
    CHECK(p.ret.type.text() == "{ i64, i64 }");
    CHECK(p.args[0].kind == PassKind::Direct);
    CHECK(p.args[0].flatten);
    CHECK(p.args[0].gprs == 2);
    // rdi,rsi + 3 ints: one GPR (r9) left for the second __int128: byval, r9 stays free.
    CHECK(p.args[4].kind == PassKind::Indirect);
    CHECK(p.args[4].byval);
    CHECK(p.args[4].align == 16);
    CHECK(p.args[5].gprs == 1);
    CHECK(p.llvm_params()[5] == "ptr noundef byval(i128) align 16");
}

TEST_CASE("x86-64: small integers are extended by the caller; 3-byte records are i24; {long,char} is flattened") {
    Px x("x86_64-linux-gnu");
    CallPlan p = x.plan("struct c3 { char c[3]; }; struct lc { long a; char b; };"
                        "signed char f(_Bool, unsigned short, struct c3, struct lc);",
                        "f");
    CHECK(p.ret.kind == PassKind::Extend);
    CHECK(p.ret.sign);
    CHECK(p.args[0].kind == PassKind::Extend);
    CHECK_FALSE(p.args[0].sign);
    CHECK(p.args[0].type == IrType::int_bits(1));
    CHECK(p.args[2].type == IrType::int_bits(24));
    CHECK(p.args[3].type.text() == "{ i64, i8 }");
    CHECK(p.args[3].flatten);
    CHECK(p.llvm_signature() == "signext i8 (i1 noundef zeroext, i16 noundef zeroext, i24, i64, i8)");
}

TEST_CASE("x86-64: a variadic call lists only the fixed parameters in its type (so LLVM sets %al)") {
    Px x("x86_64-linux-gnu");
    CallPlan p = x.vplan("int printf(const char *, ...);", "printf", "double, int, float");
    CHECK(p.variadic);
    CHECK(p.fixed_count == 1);
    REQUIRE(p.args.size() == 4);
    // float is promoted to double at the call.
    CHECK(p.args[3].type == IrType::f64());
    CHECK(p.args[1].fprs == 1);
    CHECK(p.llvm_signature() == "i32 (ptr noundef, ...)");
    CHECK(p.llvm_params().size() == 4);
}

TEST_CASE("x86-64: empty records are ignored; plans of equal lowering share a key") {
    Px x("x86_64-linux-gnu");
    CallPlan p = x.plan("struct e { }; struct e f(struct e, int);", "f");
    CHECK(p.ret.kind == PassKind::Ignore);
    CHECK(p.args[0].kind == PassKind::Ignore);
    CHECK(p.llvm_signature() == "void (i32 noundef)");
    CallPlan a = x.plan("struct p1 { long a, b; }; long g1(struct p1);", "g1");
    CallPlan b = x.plan("struct p2 { long x; unsigned long y; }; unsigned long g2(struct p2);", "g2");
    CallPlan c = x.plan("struct p3 { long x; double y; }; long g3(struct p3);", "g3");
    CHECK(a.key() == b.key());
    CHECK(a.key() != c.key());
}

TEST_CASE("AArch64: composites over 16 bytes go by plain pointer, not byval; large returns use sret") {
    for (const char* triple : {"aarch64-linux-gnu", "arm64-apple-macos"}) {
        CAPTURE(triple);
        Px x(triple);
        CallPlan p = x.plan("struct big { char c[17]; }; struct big f(struct big, int);", "f");
        CHECK(p.ret.kind == PassKind::Indirect);
        CHECK(p.args[0].kind == PassKind::Indirect);
        CHECK_FALSE(p.args[0].byval);
        CHECK(p.args[0].gprs == 1);
        CHECK(p.llvm_signature() ==
              "void (ptr dead_on_unwind noalias writable sret([17 x i8]) align 1, ptr noundef, i32 noundef)");
    }
}

TEST_CASE("AArch64: HFAs take FP registers as [N x T] (alignstack on Linux) and are returned as themselves") {
    Px l("aarch64-linux-gnu");
    CallPlan p = l.plan("struct h3 { float a, b, c; }; struct h3 f(struct h3, struct h3, struct h3);", "f");
    CHECK(p.args[0].type.text() == "[3 x float]");
    CHECK(p.args[0].align == 8);
    CHECK(p.args[0].fprs == 3);
    CHECK(p.args[1].fprs == 3);
    // Only two FP registers left: the third HFA goes wholly on the stack.
    CHECK(p.args[2].fprs == 0);
    CHECK(p.args[2].on_stack);
    CHECK(p.ret.type.text() == "{ float, float, float }");
    CHECK(p.llvm_signature() ==
          "{ float, float, float } ([3 x float] alignstack(8), [3 x float] alignstack(8), [3 x float] alignstack(8))");
    Px a("arm64-apple-macos");
    CallPlan q = a.plan("struct h3 { float a, b, c; }; struct h3 f(struct h3);", "f");
    CHECK(q.llvm_signature() == "{ float, float, float } ([3 x float])");
}

TEST_CASE("AArch64: long double is fp128 on Linux and double on Apple; small ints extended only on Apple") {
    Px l("aarch64-linux-gnu");
    CallPlan p = l.plan("long double f(long double, short);", "f");
    CHECK(p.llvm_signature() == "fp128 (fp128 noundef, i16 noundef)");
    Px a("arm64-apple-macos");
    CallPlan q = a.plan("long double f(long double, short);", "f");
    CHECK(q.llvm_signature() == "double (double noundef, i16 noundef signext)");
    CHECK(q.args[1].kind == PassKind::Extend);
}

TEST_CASE("AArch64: Apple puts every variadic argument on the stack; Linux uses registers") {
    const char* decl = "struct hv { double a, b; }; int v(int, ...);";
    Px a("arm64-apple-macos");
    CallPlan q = a.vplan(decl, "v", "double, long, struct hv");
    CHECK(q.variadic);
    CHECK(q.fixed_count == 1);
    CHECK(q.args[0].gprs == 1);
    for (size_t i = 1; i < 4; ++i) {
        CHECK(q.args[i].on_stack);
        CHECK(q.args[i].gprs + q.args[i].fprs == 0);
    }
    CHECK(q.stack_bytes == 32);
    Px l("aarch64-linux-gnu");
    CallPlan p = l.vplan(decl, "v", "double, long, struct hv");
    CHECK(p.args[1].fprs == 1);
    CHECK(p.args[2].gprs == 1);
    CHECK(p.args[3].fprs == 2);
    CHECK(p.stack_bytes == 0);
    CHECK(p.llvm_signature() == "i32 (i32 noundef, ...)");
}

TEST_CASE("AArch64: records up to 16 bytes are i64 / [2 x i64], or i128 when 16-byte aligned") {
    Px l("aarch64-linux-gnu");
    CallPlan p = l.plan("struct c3 { char c[3]; }; struct l2 { long a; char b; };"
                        "struct q { __int128 a; }; struct c3 f(struct c3, struct l2, struct q);",
                        "f");
    CHECK(p.args[0].type == IrType::int_bits(64));
    CHECK(p.args[1].type.text() == "[2 x i64]");
    CHECK(p.args[2].type == IrType::int_bits(128));
    CHECK(p.ret.type == IrType::int_bits(24));
}

TEST_CASE("classify refuses values that cannot be passed") {
    Px x("x86_64-linux-gnu");
    x.plan("struct inc; void f(int);", "f");
    CallSignature s;
    s.ret = x.types.prim(Prim::Void);
    s.args = s.call_args = {x.types.prim(Prim::Void)};
    s.fixed_count = 1;
    CHECK_THROWS_AS(classifier_for(x.types.target()).classify(x.types, s), Error);
    s.args = s.call_args = {x.decls.tags.at("inc").record->type};
    CHECK_THROWS_AS(classifier_for(x.types.target()).classify(x.types, s), Error);
}

}  // namespace jiffi::detail::test
