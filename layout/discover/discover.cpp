// The header discoverer: Clang parses the headers; layouts are read from the ASTContext.
//
// Two passes over one in-memory main file that includes the headers: the first only
// preprocesses, to learn the macros; the second parses the headers, the snippet and one probe
// declaration per object-like macro ("static __auto_type __jiffi_macro_N = (NAME);"), whose
// initializer Clang evaluates. Sizes, alignments and field offsets come from
// ASTContext::getASTRecordLayout and getTypeInfo, never from a computation of jiffi's own.
#include "layout/discover/discover.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include <clang/AST/ASTConsumer.h>
#include <clang/AST/ASTContext.h>
#include <clang/AST/Attr.h>
#include <clang/AST/Decl.h>
#include <clang/AST/Expr.h>
#include <clang/AST/RecordLayout.h>
#include <clang/Basic/Diagnostic.h>
#include <clang/Basic/SourceManager.h>
#include <clang/Basic/TargetInfo.h>
#include <clang/Basic/Version.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/FrontendAction.h>
#include <clang/Lex/MacroInfo.h>
#include <clang/Lex/Preprocessor.h>
#include <clang/Tooling/Tooling.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/VirtualFileSystem.h>

#ifndef JIFFI_CLANG_RESOURCE_DIR
#define JIFFI_CLANG_RESOURCE_DIR "/usr/lib/llvm-19/lib/clang/19"
#endif

namespace jiffi::detail {

namespace {

constexpr const char* kMainFile = "/__jiffi_layout__/input.c";
constexpr const char* kProbePrefix = "__jiffi_macro_";
// A declaration after the snippet: it reaches file scope only when the snippet is complete.
constexpr const char* kSnippetEnd = "__jiffi_snippet_end__";

// One error Clang reported.
struct Diag {
    std::string text;       // "file:line:col: error: message"
    bool in_main = false;   // located in the main file (the probes or the snippet)
    unsigned main_line = 0;
};

// Collects Clang's errors (warnings are off) with where they happened.
class DiagCollector : public clang::DiagnosticConsumer {
public:
    void HandleDiagnostic(clang::DiagnosticsEngine::Level level, const clang::Diagnostic& info) override {
        clang::DiagnosticConsumer::HandleDiagnostic(level, info);
        if (level < clang::DiagnosticsEngine::Error) return;
        llvm::SmallString<256> msg;
        info.FormatDiagnostic(msg);
        Diag d;
        std::string where;
        if (info.hasSourceManager() && info.getLocation().isValid()) {
            const clang::SourceManager& sm = info.getSourceManager();
            clang::SourceLocation exp = sm.getExpansionLoc(info.getLocation());
            clang::PresumedLoc p = sm.getPresumedLoc(exp);
            if (p.isValid())
                where = std::string(p.getFilename()) + ":" + std::to_string(p.getLine()) + ":" +
                        std::to_string(p.getColumn()) + ": ";
            if (sm.getFileID(exp) == sm.getMainFileID()) {
                d.in_main = true;
                d.main_line = sm.getSpellingLineNumber(exp);
            }
        }
        d.text = where + (level == clang::DiagnosticsEngine::Fatal ? "fatal error: " : "error: ") +
                 std::string(msg.str());
        diags.push_back(std::move(d));
    }
    std::vector<Diag> diags;
};

// A macro found by the first pass.
struct MacroDef {
    std::string name, definition, skip_reason;
    DumpLocation loc;
};

DumpLocation location_of(const clang::SourceManager& sm, clang::SourceLocation loc) {
    DumpLocation l;
    if (loc.isInvalid()) return l;
    clang::PresumedLoc p = sm.getPresumedLoc(sm.getExpansionLoc(loc));
    if (p.isInvalid()) return l;
    l.file = p.getFilename();
    l.line = p.getLine();
    l.column = p.getColumn();
    return l;
}

// Why a macro's replacement cannot be an expression probe, or "" when it can be tried.
std::string macro_skip_reason(const clang::MacroInfo& mi, clang::Preprocessor& pp) {
    if (mi.isFunctionLike()) return "function-like macro";
    if (mi.getNumTokens() == 0) return "empty definition";
    int depth = 0;
    for (const clang::Token& t : mi.tokens()) {
        switch (t.getKind()) {
        case clang::tok::l_paren:
        case clang::tok::l_square: ++depth; break;
        case clang::tok::r_paren:
        case clang::tok::r_square:
            if (--depth < 0) return "unbalanced parentheses";
            break;
        case clang::tok::semi:
        case clang::tok::l_brace:
        case clang::tok::r_brace:
        case clang::tok::hash:
        case clang::tok::hashhash:
            return "not an expression (contains '" + pp.getSpelling(t) + "')";
        default:
            if (const clang::IdentifierInfo* ii = t.getIdentifierInfo()) {
                llvm::StringRef n = ii->getName();
                if (n == "_Pragma" || n.starts_with("__has_include") || n == "__VA_ARGS__" ||
                    n == "__VA_OPT__")
                    return "not an expression (contains '" + n.str() + "')";
                if (n == "__FILE__" || n == "__LINE__" || n == "__COUNTER__" || n == "__DATE__" ||
                    n == "__TIME__" || n == "__TIMESTAMP__" || n == "__FILE_NAME__" ||
                    n == "__BASE_FILE__" || n == "__INCLUDE_LEVEL__")
                    return "value depends on where it is expanded ('" + n.str() + "')";
            }
        }
    }
    if (depth != 0) return "unbalanced parentheses";
    return "";
}

// Pass 1: preprocesses the main file and records every macro defined in a file.
class MacroScanAction : public clang::PreprocessorFrontendAction {
public:
    MacroScanAction(std::vector<MacroDef>& out, const std::set<std::string>* only)
        : out_(out), only_(only) {}

    void ExecuteAction() override {
        clang::Preprocessor& pp = getCompilerInstance().getPreprocessor();
        const clang::SourceManager& sm = pp.getSourceManager();
        pp.EnterMainSourceFile();
        pp.LexTokensUntilEOF();
        for (const auto& entry : pp.macros()) {
            const clang::IdentifierInfo* ii = entry.first;
            const clang::MacroDirective* md = pp.getLocalMacroDirectiveHistory(ii);
            if (!md) continue;
            const clang::MacroInfo* mi = md->getMacroInfo();
            if (!mi || !md->isDefined() || mi->isBuiltinMacro()) continue;
            clang::SourceLocation loc = mi->getDefinitionLoc();
            if (loc.isInvalid() || sm.isWrittenInBuiltinFile(loc) || sm.isWrittenInCommandLineFile(loc) ||
                sm.isWrittenInScratchSpace(loc))
                continue;
            std::string name = ii->getName().str();
            if (only_ && !only_->count(name)) continue;
            MacroDef m;
            m.name = name;
            m.loc = location_of(sm, loc);
            for (const clang::Token& t : mi->tokens()) {
                if (!m.definition.empty() && t.hasLeadingSpace()) m.definition += ' ';
                m.definition += pp.getSpelling(t);
            }
            m.skip_reason = macro_skip_reason(*mi, pp);
            out_.push_back(std::move(m));
        }
        std::sort(out_.begin(), out_.end(), [](const MacroDef& a, const MacroDef& b) { return a.name < b.name; });
    }

private:
    std::vector<MacroDef>& out_;
    const std::set<std::string>* only_;
};

// Pass 2: builds the dump from the parsed translation unit.
class DumpBuilder {
public:
    DumpBuilder(clang::ASTContext& ctx, LayoutDump& dump) : ctx_(ctx), sm_(ctx.getSourceManager()), dump_(dump) {
        policy_ = std::make_unique<clang::PrintingPolicy>(ctx.getLangOpts());
        policy_->SuppressTagKeyword = false;
    }

    // Visits every declaration of the translation unit, then fills the records found.
    void run() {
        const clang::TargetInfo& ti = ctx_.getTargetInfo();
        dump_.header.triple = ti.getTriple().str();
        dump_.header.pointer_size = unsigned(ti.getPointerWidth(clang::LangAS::Default) / 8);
        dump_.header.long_size = ti.getLongWidth() / 8;
        dump_.header.long_double_size = ti.getLongDoubleWidth() / 8;
        dump_.header.char_signed = ctx_.CharTy->isSignedIntegerType();
        dump_.header.clang_version = clang::getClangFullVersion();
        for (clang::Decl* d : ctx_.getTranslationUnitDecl()->decls()) visit(d);
        // Records reached only through types are filled too, until no new ones appear.
        for (size_t i = 0; i < record_decls_.size(); ++i) fill_record(i);
    }

    // The dump index of a record, registering it when new.
    int32_t record_index(const clang::RecordDecl* rd) {
        const auto* canon = llvm::cast<clang::RecordDecl>(rd->getCanonicalDecl());
        auto it = record_ids_.find(canon);
        if (it != record_ids_.end()) return it->second;
        int32_t idx = int32_t(dump_.records.size());
        record_ids_[canon] = idx;
        dump_.records.emplace_back();
        record_decls_.push_back(canon);
        DumpRecord& r = dump_.records.back();
        r.tag = canon->getName().str();
        r.is_union = canon->isUnion();
        return idx;
    }

    // The dump index of an enum, filled now.
    int32_t enum_index(const clang::EnumDecl* ed) {
        const clang::EnumDecl* canon = ed->getCanonicalDecl();
        auto it = enum_ids_.find(canon);
        if (it != enum_ids_.end()) return it->second;
        int32_t idx = int32_t(dump_.enums.size());
        enum_ids_[canon] = idx;
        dump_.enums.emplace_back();
        const clang::EnumDecl* def = canon->getDefinition();
        const clang::EnumDecl* use = def ? def : canon;
        DumpEnum e;
        e.tag = canon->getName().str();
        if (const clang::TypedefNameDecl* td = use->getTypedefNameForAnonDecl()) e.typedef_name = td->getName().str();
        e.complete = def != nullptr && !def->isInvalidDecl();
        e.loc = location_of(sm_, use->getLocation());
        e.type = type_id(ctx_.getEnumType(canon));
        if (!use->getIntegerType().isNull()) e.underlying = type_id(use->getIntegerType());
        if (def)
            for (const clang::EnumConstantDecl* c : def->enumerators()) {
                const llvm::APSInt& v = c->getInitVal();
                DumpEnumerator en;
                en.name = c->getName().str();
                en.negative = v.isSigned() && v.isNegative();
                en.bits = en.negative ? uint64_t(v.getSExtValue()) : v.getZExtValue();
                e.values.push_back(std::move(en));
            }
        dump_.enums[size_t(idx)] = std::move(e);
        return idx;
    }

    // The id of a type node, made when new (with its components first).
    uint32_t type_id(clang::QualType qt) {
        if (qt.isNull()) return kNoType;
        void* key = qt.getAsOpaquePtr();
        auto it = type_ids_.find(key);
        if (it != type_ids_.end()) return it->second;
        DumpType t;
        const clang::Type* ty = qt.getTypePtr();
        if (qt.hasLocalQualifiers()) {
            t.kind = DumpTypeKind::Qualified;
            t.inner = type_id(qt.getLocalUnqualifiedType());
            t.is_const = qt.isLocalConstQualified();
            t.is_volatile = qt.isLocalVolatileQualified();
            t.is_restrict = qt.isLocalRestrictQualified();
        } else if (const auto* td = llvm::dyn_cast<clang::TypedefType>(ty)) {
            t.kind = DumpTypeKind::Typedef;
            t.name = td->getDecl()->getName().str();
            t.inner = type_id(td->getDecl()->getUnderlyingType());
            t.canonical = type_id(qt.getCanonicalType());
        } else if (clang::QualType ds = qt.getSingleStepDesugaredType(ctx_); ds != qt) {
            // Elaborated, parenthesized, attributed, typeof and decayed types: their meaning.
            uint32_t id = type_id(ds);
            type_ids_[key] = id;
            return id;
        } else if (const auto* bt = llvm::dyn_cast<clang::BuiltinType>(ty)) {
            t.kind = DumpTypeKind::Builtin;
            t.name = bt->getName(*policy_).str();
        } else if (const auto* ct = llvm::dyn_cast<clang::ComplexType>(ty)) {
            t.kind = DumpTypeKind::Builtin;
            t.name = "_Complex " + ct->getElementType().getAsString(*policy_);
        } else if (const auto* pt = llvm::dyn_cast<clang::PointerType>(ty)) {
            t.kind = DumpTypeKind::Pointer;
            t.inner = type_id(pt->getPointeeType());
        } else if (const auto* ca = llvm::dyn_cast<clang::ConstantArrayType>(ty)) {
            t.kind = DumpTypeKind::Array;
            t.inner = type_id(ca->getElementType());
            t.count = ca->getSize().getZExtValue();
        } else if (const auto* ia = llvm::dyn_cast<clang::IncompleteArrayType>(ty)) {
            t.kind = DumpTypeKind::Array;
            t.inner = type_id(ia->getElementType());
            t.flexible = true;
        } else if (const auto* rt = llvm::dyn_cast<clang::RecordType>(ty)) {
            t.kind = DumpTypeKind::Record;
            t.decl = record_index(rt->getDecl());
            t.name = rt->getDecl()->getName().str();
        } else if (const auto* et = llvm::dyn_cast<clang::EnumType>(ty)) {
            t.kind = DumpTypeKind::Enum;
            t.name = et->getDecl()->getName().str();
            // The enum's node exists before its entry refers back to it.
            t.spelling = qt.getAsString(*policy_);
            t.complete = !et->isIncompleteType();
            if (t.complete) {
                t.size = ctx_.getTypeSizeInChars(qt).getQuantity();
                t.align = ctx_.getTypeAlignInChars(qt).getQuantity();
            }
            uint32_t id = uint32_t(dump_.types.size());
            t.id = id;
            dump_.types.push_back(std::move(t));
            type_ids_[key] = id;
            dump_.types[id].decl = enum_index(et->getDecl());
            return id;
        } else if (const auto* fp = llvm::dyn_cast<clang::FunctionProtoType>(ty)) {
            t.kind = DumpTypeKind::Function;
            t.inner = type_id(fp->getReturnType());
            for (clang::QualType p : fp->param_types()) t.params.push_back(type_id(p));
            t.variadic = fp->isVariadic();
        } else if (const auto* fn = llvm::dyn_cast<clang::FunctionNoProtoType>(ty)) {
            t.kind = DumpTypeKind::Function;
            t.inner = type_id(fn->getReturnType());
            t.prototyped = false;
        } else if (const auto* vt = llvm::dyn_cast<clang::VectorType>(ty)) {
            t.kind = DumpTypeKind::Vector;
            t.inner = type_id(vt->getElementType());
            t.count = vt->getNumElements();
        } else {
            t.kind = DumpTypeKind::Other;
            t.name = ty->getTypeClassName();
        }
        t.spelling = qt.getAsString(*policy_);
        if (!ty->isIncompleteType() && !ty->isDependentType() && !ty->isFunctionType() &&
            !ty->isSizelessType() && !ty->isVariableArrayType()) {
            t.complete = true;
            t.size = ctx_.getTypeSizeInChars(qt).getQuantity();
            t.align = ctx_.getTypeAlignInChars(qt).getQuantity();
        }
        uint32_t id = uint32_t(dump_.types.size());
        t.id = id;
        dump_.types.push_back(std::move(t));
        type_ids_[key] = id;
        return id;
    }

    std::vector<const clang::RecordDecl*>& record_decls() { return record_decls_; }

private:
    // Records one file-scope declaration (and the records defined inside records).
    void visit(clang::Decl* d) {
        // Clang's implicit declarations (__va_list_tag, __NSConstantString) are not the
        // headers'; a type that uses one still reaches it.
        if (d->isImplicit()) return;
        if (auto* vd = llvm::dyn_cast<clang::VarDecl>(d); vd && vd->getName().starts_with(kProbePrefix)) {
            probes_.push_back(vd);
            return;
        }
        if (auto* vd = llvm::dyn_cast<clang::VarDecl>(d); vd && vd->getName() == kSnippetEnd) {
            snippet_closed_ = !vd->isInvalidDecl();
            return;
        }
        if (d->isInvalidDecl()) {
            if (auto* nd = llvm::dyn_cast<clang::NamedDecl>(d))
                skip(d->getDeclKindName(), nd->getNameAsString(), "invalid declaration", d->getLocation());
            return;
        }
        if (auto* rd = llvm::dyn_cast<clang::RecordDecl>(d)) {
            record_index(rd);
            if (rd->isThisDeclarationADefinition())
                for (clang::Decl* inner : rd->decls())
                    if (llvm::isa<clang::RecordDecl>(inner) || llvm::isa<clang::EnumDecl>(inner)) visit(inner);
        } else if (auto* ed = llvm::dyn_cast<clang::EnumDecl>(d)) {
            enum_index(ed);
        } else if (auto* td = llvm::dyn_cast<clang::TypedefNameDecl>(d)) {
            std::string name = td->getName().str();
            if (!typedef_names_.insert(name).second) return;
            DumpTypedef t;
            t.name = name;
            t.type = type_id(ctx_.getTypedefType(td));
            t.canonical = type_id(ctx_.getCanonicalType(td->getUnderlyingType()));
            t.loc = location_of(sm_, td->getLocation());
            dump_.typedefs.push_back(std::move(t));
        } else if (auto* fd = llvm::dyn_cast<clang::FunctionDecl>(d)) {
            std::string name = fd->getName().str();
            const clang::FunctionDecl* latest = fd->getMostRecentDecl();
            auto it = function_ids_.find(name);
            if (it == function_ids_.end()) {
                function_ids_[name] = dump_.functions.size();
                dump_.functions.emplace_back();
                it = function_ids_.find(name);
            }
            DumpFunction f;
            f.name = name;
            f.type = type_id(latest->getType());
            f.ret = type_id(latest->getReturnType());
            for (const clang::ParmVarDecl* p : latest->parameters())
                f.params.push_back({p->getName().str(), type_id(p->getType())});
            f.variadic = latest->isVariadic();
            f.is_inline = latest->isInlineSpecified();
            f.storage = storage_name(latest->getStorageClass());
            f.loc = location_of(sm_, fd->getCanonicalDecl()->getLocation());
            dump_.functions[it->second] = std::move(f);
        } else if (auto* vd = llvm::dyn_cast<clang::VarDecl>(d)) {
            std::string name = vd->getName().str();
            if (!variable_names_.insert(name).second) return;
            DumpVariable v;
            v.name = name;
            v.type = type_id(vd->getMostRecentDecl()->getType());
            v.storage = storage_name(vd->getStorageClass());
            v.loc = location_of(sm_, vd->getLocation());
            dump_.variables.push_back(std::move(v));
        }
    }

    static const char* storage_name(clang::StorageClass sc) {
        switch (sc) {
        case clang::SC_Extern: return "extern";
        case clang::SC_Static: return "static";
        default: return "none";
        }
    }

    // Fills record i from its definition's layout.
    void fill_record(size_t i) {
        const clang::RecordDecl* canon = record_decls_[i];
        const clang::RecordDecl* def = canon->getDefinition();
        const clang::RecordDecl* use = def ? def : canon;
        dump_.records[i].loc = location_of(sm_, use->getLocation());
        if (const clang::TypedefNameDecl* td = use->getTypedefNameForAnonDecl())
            dump_.records[i].typedef_name = td->getName().str();
        dump_.records[i].anonymous = use->isAnonymousStructOrUnion();
        if (const auto* parent = llvm::dyn_cast<clang::RecordDecl>(use->getDeclContext()))
            dump_.records[i].parent = record_index(parent);
        dump_.records[i].type = type_id(ctx_.getRecordType(canon));
        if (!def || def->isInvalidDecl()) {
            if (def) skip("record", dump_.records[i].display(), "invalid definition", def->getLocation());
            return;
        }
        const clang::ASTRecordLayout& layout = ctx_.getASTRecordLayout(def);
        std::vector<DumpField> fields;
        for (const clang::FieldDecl* f : def->fields()) {
            DumpField df;
            df.name = f->getName().str();
            df.type = type_id(f->getType());
            df.offset_bits = layout.getFieldOffset(f->getFieldIndex());
            df.bitfield = f->isBitField();
            if (df.bitfield) df.bit_width = f->getBitWidthValue(ctx_);
            df.anonymous = f->isAnonymousStructOrUnion();
            df.flexible = f->getType()->isIncompleteArrayType();
            if (df.anonymous)
                if (const auto* rt = f->getType()->getAs<clang::RecordType>()) record_index(rt->getDecl());
            fields.push_back(std::move(df));
        }
        DumpRecord& r = dump_.records[i];  // after type_id, which may grow the vector
        r.fields = std::move(fields);
        r.complete = true;
        r.size = layout.getSize().getQuantity();
        r.align = layout.getAlignment().getQuantity();
        r.packed = def->hasAttr<clang::PackedAttr>();
        if (const auto* mfa = def->getAttr<clang::MaxFieldAlignmentAttr>()) r.pack = mfa->getAlignment() / 8;
        r.align_attr = def->getMaxAlignment() / 8;
        r.has_flexible = def->hasFlexibleArrayMember();
    }

    void skip(const std::string& kind, const std::string& name, const std::string& reason, clang::SourceLocation loc) {
        dump_.skipped.push_back({kind, name, reason, location_of(sm_, loc)});
    }

public:
    // The macro probe variables, in declaration order.
    std::vector<const clang::VarDecl*> probes_;
    // The declaration after the snippet was parsed at file scope (the snippet is complete).
    bool snippet_closed_ = false;

private:
    clang::ASTContext& ctx_;
    const clang::SourceManager& sm_;
    LayoutDump& dump_;
    std::unique_ptr<clang::PrintingPolicy> policy_;
    std::unordered_map<void*, uint32_t> type_ids_;
    std::map<const clang::RecordDecl*, int32_t> record_ids_;
    std::vector<const clang::RecordDecl*> record_decls_;
    std::map<const clang::EnumDecl*, int32_t> enum_ids_;
    std::set<std::string> typedef_names_, variable_names_;
    std::map<std::string, size_t> function_ids_;
};

// Fills each record's access list: every named leaf reached through anonymous members.
void fill_access(LayoutDump& dump) {
    struct Walker {
        LayoutDump& d;
        void walk(DumpRecord& out, const DumpRecord& rec, std::vector<uint32_t>& path, uint64_t base) {
            for (size_t k = 0; k < rec.fields.size(); ++k) {
                const DumpField& f = rec.fields[k];
                path.push_back(uint32_t(k));
                if (f.anonymous) {
                    const DumpType* t = &d.types[f.type];
                    while (t->kind == DumpTypeKind::Qualified || t->kind == DumpTypeKind::Typedef)
                        t = &d.types[t->inner];
                    if (t->kind == DumpTypeKind::Record)
                        walk(out, d.records[size_t(t->decl)], path, base + f.offset_bits);
                } else if (!f.name.empty()) {
                    out.access.push_back({f.name, path, base + f.offset_bits, f.bitfield, f.bit_width});
                }
                path.pop_back();
            }
        }
    };
    Walker w{dump};
    for (DumpRecord& r : dump.records) {
        if (!r.complete) continue;
        std::vector<uint32_t> path;
        r.access.clear();
        w.walk(r, r, path, 0);  // reads r's fields while appending to its access list
    }
}

// The consumer of pass 2: builds the dump, evaluates the probes, checks the snippet record.
class DumpConsumer : public clang::ASTConsumer {
public:
    DumpConsumer(LayoutDump& dump, const std::vector<MacroDef>& macros, const std::vector<size_t>& probe_macro,
                 const std::map<unsigned, size_t>& probe_lines, DiagCollector& diags, const std::string& snippet_tag,
                 std::string& snippet_error, bool& snippet_closed)
        : dump_(dump), macros_(macros), probe_macro_(probe_macro), probe_lines_(probe_lines), diags_(diags),
          snippet_tag_(snippet_tag), snippet_error_(snippet_error), snippet_closed_(snippet_closed) {}

    void HandleTranslationUnit(clang::ASTContext& ctx) override {
        DumpBuilder b(ctx, dump_);
        b.run();
        snippet_closed_ = b.snippet_closed_;
        evaluate_probes(ctx, b);
        if (!snippet_tag_.empty()) check_snippet(ctx);
        fill_access(dump_);
        const clang::SourceManager& sm = ctx.getSourceManager();
        for (auto it = sm.fileinfo_begin(); it != sm.fileinfo_end(); ++it) {
            std::string name = it->first.getName().str();
            if (name != kMainFile) dump_.header.dependencies.push_back(name);
        }
        std::sort(dump_.header.dependencies.begin(), dump_.header.dependencies.end());
    }

private:
    // Evaluates every probe: integers, floats, strings and constant pointers become macros,
    // anything else is skipped with Clang's reason.
    void evaluate_probes(clang::ASTContext& ctx, DumpBuilder& b) {
        std::map<size_t, const clang::VarDecl*> by_macro;
        for (const clang::VarDecl* vd : b.probes_) {
            size_t n = std::strtoul(vd->getName().data() + std::strlen(kProbePrefix), nullptr, 10);
            if (n < probe_macro_.size()) by_macro[probe_macro_[n]] = vd;
        }
        std::map<size_t, std::string> errors;  // macro index -> first error on its probe line
        for (const Diag& d : diags_.diags) {
            if (!d.in_main) continue;
            auto it = probe_lines_.find(d.main_line);
            if (it != probe_lines_.end() && !errors.count(it->second)) errors[it->second] = d.text;
        }
        for (size_t i = 0; i < macros_.size(); ++i) {
            const MacroDef& m = macros_[i];
            if (!m.skip_reason.empty()) {
                dump_.skipped.push_back({"macro", m.name, m.skip_reason, m.loc});
                continue;
            }
            auto err = errors.find(i);
            auto vit = by_macro.find(i);
            if (err != errors.end() || vit == by_macro.end() || vit->second->isInvalidDecl() ||
                !vit->second->getInit()) {
                std::string why = err != errors.end() ? err->second : "not an expression";
                // Drop the probe's own location from Clang's message: it is not the header's.
                size_t p = why.find(": error: ");
                if (p != std::string::npos && why.rfind(kMainFile, 0) == 0) why = why.substr(p + 2);
                dump_.skipped.push_back({"macro", m.name, why, m.loc});
                continue;
            }
            std::string reason = evaluate(ctx, b, m, vit->second->getInit());
            if (!reason.empty()) dump_.skipped.push_back({"macro", m.name, reason, m.loc});
        }
    }

    // Evaluates one probe's initializer into a macro; returns why it is skipped, or "".
    std::string evaluate(clang::ASTContext& ctx, DumpBuilder& b, const MacroDef& m, const clang::Expr* init) {
        DumpMacro out;
        out.name = m.name;
        out.definition = m.definition;
        out.loc = m.loc;
        if (const auto* sl = llvm::dyn_cast<clang::StringLiteral>(init->IgnoreParenImpCasts())) {
            if (!sl->isOrdinary() && !sl->isUTF8()) return "wide string literal";
            out.kind = MacroKind::String;
            out.str = sl->getBytes().str();
            out.type = b.type_id(sl->getType());
            dump_.macros.push_back(std::move(out));
            return "";
        }
        clang::QualType t = init->getType();
        out.type = b.type_id(t);
        clang::Expr::EvalResult r;
        if (t->isIntegerType()) {
            if (!init->EvaluateAsInt(r, ctx) || r.HasSideEffects) return "not an integer constant expression";
            const llvm::APSInt& v = r.Val.getInt();
            if (v.getBitWidth() > 64 && !(v.isSigned() ? v.isSignedIntN(64) : v.isIntN(64)))
                return "integer value wider than 64 bits";
            out.kind = MacroKind::Integer;
            out.negative = v.isSigned() && v.isNegative();
            out.bits = out.negative ? uint64_t(v.getSExtValue()) : v.getZExtValue();
        } else if (t->isRealFloatingType()) {
            llvm::APFloat f(0.0);
            if (!init->EvaluateAsFloat(f, ctx) || r.HasSideEffects) return "not a floating constant expression";
            bool lost = false;
            f.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven, &lost);
            if (lost) return "floating value of type '" + t.getAsString() + "' not exact as a double";
            out.kind = MacroKind::Float;
            out.real = f.convertToDouble();
        } else if (t->isPointerType()) {
            if (!init->EvaluateAsRValue(r, ctx) || r.HasSideEffects || !r.Val.isLValue() ||
                !r.Val.getLValueBase().isNull())
                return "pointer to an object or function, not a constant value";
            out.kind = MacroKind::Pointer;
            out.bits = uint64_t(r.Val.getLValueOffset().getQuantity());
        } else {
            return "expression of type '" + t.getAsString() + "' is not a number, string or pointer";
        }
        dump_.macros.push_back(std::move(out));
        return "";
    }

    // Checks the snippet's record against the headers' record of the same tag.
    void check_snippet(clang::ASTContext& ctx) {
        std::string renamed = std::string(kSnippetPrefix) + snippet_tag_;
        const clang::RecordDecl* snip = nullptr;
        const clang::RecordDecl* real = nullptr;
        for (clang::Decl* d : ctx.getTranslationUnitDecl()->decls())
            if (auto* rd = llvm::dyn_cast<clang::RecordDecl>(d)) {
                if (!rd->isThisDeclarationADefinition()) continue;
                if (rd->getName() == renamed) snip = rd;
                if (rd->getName() == snippet_tag_) real = rd;
            }
        if (!snip) {
            snippet_error_ = "the snippet does not define struct or union '" + snippet_tag_ + "'";
            return;
        }
        size_t snip_index = dump_.records.size();
        for (size_t i = 0; i < dump_.records.size(); ++i)
            if (dump_.records[i].tag == renamed) snip_index = i;
        if (!real) {
            // No header defines it: the snippet's own record (laid out by Clang) is the answer.
            if (snip_index < dump_.records.size()) dump_.records[snip_index].tag = snippet_tag_;
            return;
        }
        if (snip->isUnion() != real->isUnion()) {
            snippet_error_ = "the snippet declares '" + snippet_tag_ + "' as a " + (snip->isUnion() ? "union" : "struct") +
                             " but the headers define a " + (real->isUnion() ? "union" : "struct");
            return;
        }
        for (const clang::FieldDecl* f : snip->fields()) {
            clang::DeclContextLookupResult found = real->lookup(f->getDeclName());
            clang::QualType rt;
            for (clang::NamedDecl* nd : found) {
                if (auto* fd = llvm::dyn_cast<clang::FieldDecl>(nd)) rt = fd->getType();
                else if (auto* ifd = llvm::dyn_cast<clang::IndirectFieldDecl>(nd)) rt = ifd->getAnonField()->getType();
            }
            std::string what = "member '" + f->getName().str() + "' of the snippet's " +
                               (snip->isUnion() ? "union " : "struct ") + snippet_tag_;
            if (rt.isNull()) {
                snippet_error_ = what + " is not a member of the headers' definition at " +
                                 location_of(ctx.getSourceManager(), real->getLocation()).text();
                return;
            }
            if (!ctx.typesAreCompatible(f->getType().getUnqualifiedType(), rt.getUnqualifiedType())) {
                snippet_error_ = what + " has type '" + f->getType().getAsString() + "' but the headers give it '" +
                                 rt.getAsString() + "'";
                return;
            }
        }
        // The header's record is the answer; the snippet's keeps its internal name.
    }

    LayoutDump& dump_;
    const std::vector<MacroDef>& macros_;
    const std::vector<size_t>& probe_macro_;
    const std::map<unsigned, size_t>& probe_lines_;
    DiagCollector& diags_;
    std::string snippet_tag_;
    std::string& snippet_error_;
    bool& snippet_closed_;
};

// The action of pass 2.
class DumpAction : public clang::ASTFrontendAction {
public:
    explicit DumpAction(std::function<std::unique_ptr<clang::ASTConsumer>()> make) : make_(std::move(make)) {}
    std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance&, llvm::StringRef) override {
        return make_();
    }

private:
    std::function<std::unique_ptr<clang::ASTConsumer>()> make_;
};

// Runs one Clang invocation of action over the main file text; false when Clang failed to run.
bool run_clang(const DiscoverOptions& o, const std::string& text, std::unique_ptr<clang::FrontendAction> action,
               DiagCollector& diags) {
    std::vector<std::string> args = {"clang", "-fsyntax-only", "-x", "c", "-w", "-ferror-limit=0",
                                     "-fno-color-diagnostics", "-fno-caret-diagnostics", "-resource-dir",
                                     o.resource_dir.empty() ? default_resource_dir() : o.resource_dir};
    if (!o.target.empty()) args.push_back("--target=" + o.target);
    for (const std::string& d : o.include_dirs) args.push_back("-I" + d);
    for (const std::string& d : o.defines) args.push_back("-D" + d);
    args.push_back(kMainFile);
    auto overlay = llvm::makeIntrusiveRefCnt<llvm::vfs::OverlayFileSystem>(llvm::vfs::getRealFileSystem());
    auto memory = llvm::makeIntrusiveRefCnt<llvm::vfs::InMemoryFileSystem>();
    overlay->pushOverlay(memory);
    memory->addFile(kMainFile, 0, llvm::MemoryBuffer::getMemBufferCopy(text, kMainFile));
    auto files = llvm::makeIntrusiveRefCnt<clang::FileManager>(clang::FileSystemOptions(), overlay);
    clang::tooling::ToolInvocation inv(args, std::move(action), files.get());
    inv.setDiagnosticConsumer(&diags);
    return inv.run();
}

// "file:line:col: error: ..." lines of the errors outside the probes, at most 20.
std::string error_text(const std::vector<Diag>& diags, const std::map<unsigned, size_t>& probe_lines) {
    std::string s;
    size_t n = 0;
    for (const Diag& d : diags) {
        if (d.in_main && probe_lines.count(d.main_line)) continue;
        if (n++ == 20) {
            s += "\n(more errors follow)";
            break;
        }
        s += (s.empty() ? "" : "\n") + d.text;
    }
    return s;
}

}  // namespace

std::string default_resource_dir() {
    const char* env = ::secure_getenv("JIFFI_CLANG_RESOURCE_DIR");
    return env && *env ? env : JIFFI_CLANG_RESOURCE_DIR;
}

LayoutDump discover_layout(const DiscoverOptions& o) {
    if (o.headers.empty() && o.snippet.empty())
        throw DiscoverError(kExitUsage, "no header to parse (give at least one header or a snippet)");
    // The main file: the headers, then the snippet with its record renamed.
    std::string text;
    for (const std::string& h : o.headers) {
        if (h.empty() || h.find_first_of("\"<>\n") != std::string::npos)
            throw DiscoverError(kExitUsage, "bad header name '" + h + "'");
        if (llvm::sys::fs::exists(h)) {
            llvm::SmallString<256> abs(h);
            llvm::sys::fs::make_absolute(abs);
            text += "#include \"" + std::string(abs.str()) + "\"\n";
        } else {
            text += "#include <" + h + ">\n";
        }
    }
    SnippetRecord snip;
    if (!o.snippet.empty()) {
        snip = find_snippet_record(o.snippet);
        std::string s = o.snippet;
        if (!snip.tag.empty()) s.insert(snip.tag_pos, kSnippetPrefix);
        // Clang's messages place the snippet's lines in "<snippet>"; the end marker keeps an
        // unfinished snippet from swallowing the macro probes unseen.
        text += "#line 1 \"<snippet>\"\n" + s + "\nstatic int " + std::string(kSnippetEnd) + ";\n";
        unsigned next = 2;
        for (char c : text) next += c == '\n';
        text += "#line " + std::to_string(next) + " \"" + kMainFile + "\"\n";
    }
    std::set<std::string> only_set(o.only.begin(), o.only.end());

    // Pass 1: the macros.
    std::vector<MacroDef> macros;
    DiagCollector diags1;
    bool ok = run_clang(o, text, std::make_unique<MacroScanAction>(macros, o.only.empty() ? nullptr : &only_set), diags1);
    std::map<unsigned, size_t> none;
    if (!ok || diags1.getNumErrors() > 0) {
        std::string msg = error_text(diags1.diags, none);
        throw DiscoverError(kExitCompile, msg.empty() ? "clang failed to preprocess the headers" : msg);
    }

    // Pass 2: the declarations and one probe line per macro.
    unsigned line = 1;
    for (char c : text) line += c == '\n';
    std::vector<size_t> probe_macro;
    std::map<unsigned, size_t> probe_lines;
    for (size_t i = 0; i < macros.size(); ++i) {
        if (!macros[i].skip_reason.empty()) continue;
        text += "static __auto_type " + std::string(kProbePrefix) + std::to_string(probe_macro.size()) + " = (" +
                macros[i].name + ");\n";
        probe_lines[line++] = i;
        probe_macro.push_back(i);
    }
    LayoutDump dump;
    DiagCollector diags2;
    std::string snippet_error;
    bool snippet_closed = false;
    auto make = [&]() -> std::unique_ptr<clang::ASTConsumer> {
        return std::make_unique<DumpConsumer>(dump, macros, probe_macro, probe_lines, diags2, snip.tag, snippet_error,
                                              snippet_closed);
    };
    ok = run_clang(o, text, std::make_unique<DumpAction>(make), diags2);
    std::string errors = error_text(diags2.diags, probe_lines);
    // A snippet that did not end at file scope: the errors on the probe lines are its own.
    if (!o.snippet.empty() && !snippet_closed && errors.empty()) {
        errors = error_text(diags2.diags, none);
        if (errors.empty()) errors = "the snippet does not end at file scope (an unfinished declaration)";
    }
    if (!errors.empty() || (!ok && diags2.diags.empty()))
        throw DiscoverError(kExitCompile, errors.empty() ? "clang failed to parse the headers" : errors);
    if (!snippet_error.empty()) throw DiscoverError(kExitCompile, snippet_error);
    dump.header.arguments = o.arguments;
    // Without --only the snippet's record (when it only checked a header's) stays internal.
    std::vector<std::string> unknown;
    if (!o.only.empty()) {
        dump = select_dump(dump, o.only, unknown);
        if (!unknown.empty()) {
            std::string names;
            for (const std::string& n : unknown) names += (names.empty() ? "'" : ", '") + n + "'";
            throw DiscoverError(kExitUnknownName, "--only: the headers declare no " + names);
        }
    }
    return dump;
}

}  // namespace jiffi::detail
