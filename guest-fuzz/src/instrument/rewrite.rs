//! The rewriter: re-encodes a module section by section, adding the coverage memory, the `prev` global, their export and the probes.

use std::convert::Infallible;

use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{
    CodeSection, ConstExpr, ExportKind, ExportSection, Function, GlobalSection, GlobalType,
    MemorySection, MemoryType, Module, SectionId, ValType,
};
use wasmparser::{Operator, Parser, Payload, TypeRef, Validator, WasmFeatures};

use super::probe::Added;
use super::{InstrumentError, Options, layout};

type ReencodeError = reencode::Error<Infallible>;

pub(super) fn rewrite(wasm: &[u8], options: &Options) -> Result<Vec<u8>, InstrumentError> {
    if Parser::is_component(wasm) {
        return Err(InstrumentError::Unsupported(
            "a component, not a core module (components are not fuzzed yet)".into(),
        ));
    }
    let types = Validator::new_with_features(WasmFeatures::all())
        .validate_all(wasm)
        .map_err(|e| InstrumentError::Invalid(e.to_string()))?;
    let types = types.as_ref();
    let mut shape = Shape::default();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| InstrumentError::Invalid(e.to_string()))? {
            Payload::ImportSection(imports) => {
                for import in imports.into_imports() {
                    let import = import.map_err(|e| InstrumentError::Invalid(e.to_string()))?;
                    if matches!(import.ty, TypeRef::Func(_) | TypeRef::FuncExact(_)) {
                        shape.imported_funcs += 1;
                    }
                }
            }
            Payload::MemorySection(_) => shape.memory_section = true,
            Payload::GlobalSection(_) => shape.global_section = true,
            Payload::ExportSection(exports) => {
                shape.export_section = true;
                for export in exports {
                    let export = export.map_err(|e| InstrumentError::Invalid(e.to_string()))?;
                    if export.name == layout::EXPORT {
                        return Err(InstrumentError::Unsupported(format!(
                            "the module already exports {:?}, the name reserved for coverage",
                            layout::EXPORT
                        )));
                    }
                }
            }
            _ => {}
        }
    }
    let params = (shape.imported_funcs..types.function_count())
        .map(|f| {
            types[types.core_function_at(f)]
                .unwrap_func()
                .params()
                .len() as u32
        })
        .collect();
    let mut rewriter = Rewriter {
        options: *options,
        added: Added {
            memory: types.memory_count(),
            prev: types.global_count(),
        },
        shape,
        params,
        next_func: 0,
        probes: 0,
        cmp32: 0,
        cmp64: 0,
        emitted: Emitted::default(),
    };
    let mut module = Module::new();
    rewriter
        .parse_core_module(&mut module, Parser::new(0), wasm)
        .map_err(|e| InstrumentError::Unsupported(e.to_string()))?;
    Ok(module.finish())
}

/// What the first pass learned about the module.
#[derive(Default)]
struct Shape {
    imported_funcs: u32,
    memory_section: bool,
    global_section: bool,
    export_section: bool,
}

/// Which added definitions are already in the output.
#[derive(Default)]
struct Emitted {
    memory: bool,
    global: bool,
    export: bool,
}

struct Rewriter {
    options: Options,
    added: Added,
    shape: Shape,
    /// Parameter count of each defined function, in code-section order.
    params: Vec<u32>,
    next_func: usize,
    /// Probes placed so far: the source of block ids.
    probes: u64,
    cmp32: u32,
    cmp64: u32,
    emitted: Emitted,
}

/// The order of sections in a module (tags sit between memories and globals).
fn rank(id: SectionId) -> u8 {
    match id {
        SectionId::Custom => 0,
        SectionId::Type => 1,
        SectionId::Import => 2,
        SectionId::Function => 3,
        SectionId::Table => 4,
        SectionId::Memory => 5,
        SectionId::Tag => 6,
        SectionId::Global => 7,
        SectionId::Export => 8,
        SectionId::Start => 9,
        SectionId::Element => 10,
        SectionId::DataCount => 11,
        SectionId::Code => 12,
        SectionId::Data => 13,
    }
}

impl Rewriter {
    fn cov_memory_type(&self) -> MemoryType {
        let pages = if self.options.cmplog {
            layout::PAGES_CMPLOG
        } else {
            layout::PAGES_COVERAGE
        };
        MemoryType {
            minimum: pages,
            maximum: Some(pages),
            memory64: false,
            shared: false,
            page_size_log2: None,
        }
    }

    fn add_global(&mut self, globals: &mut GlobalSection) {
        let ty = GlobalType {
            val_type: ValType::I32,
            mutable: true,
            shared: false,
        };
        globals.global(ty, &ConstExpr::i32_const(0));
        self.emitted.global = true;
    }

    fn add_export(&mut self, exports: &mut ExportSection) {
        exports.export(layout::EXPORT, ExportKind::Memory, self.added.memory);
        self.emitted.export = true;
    }

    /// A fixed, well-spread 16-bit id for the next probe (splitmix64 of its
    /// ordinal), so the same module always gets the same ids.
    fn next_id(&mut self) -> u16 {
        self.probes += 1;
        let mut z = self.probes.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as u16
    }

    fn probe(&mut self, f: &mut Function) {
        let id = self.next_id();
        self.added.edge(f, id);
    }
}

/// Whether `op` is an integer compare worth logging, and whether it is i64.
fn compare(op: &Operator<'_>) -> Option<bool> {
    use Operator::*;
    match op {
        I32Eq | I32Ne | I32LtS | I32LtU | I32GtS | I32GtU | I32LeS | I32LeU | I32GeS | I32GeU => {
            Some(false)
        }
        I64Eq | I64Ne | I64LtS | I64LtU | I64GtS | I64GtU | I64LeS | I64LeU | I64GeS | I64GeU => {
            Some(true)
        }
        _ => None,
    }
}

/// Whether a new basic block starts right after `op`; keeps `depth`, the
/// number of open blocks, so the function's final `end` gets no probe.
fn starts_block(op: &Operator<'_>, depth: &mut u32) -> bool {
    use Operator::*;
    match op {
        Block { .. } | TryTable { .. } | Try { .. } => {
            *depth += 1;
            false
        }
        Loop { .. } | If { .. } => {
            *depth += 1;
            true
        }
        Else | Catch { .. } | CatchAll => true,
        End if *depth == 0 => false,
        End | Delegate { .. } => {
            *depth -= 1;
            true
        }
        BrIf { .. }
        | BrOnNull { .. }
        | BrOnNonNull { .. }
        | BrOnCast { .. }
        | BrOnCastFail { .. } => true,
        _ => false,
    }
}

impl Reencode for Rewriter {
    type Error = Infallible;

    fn parse_memory_section(
        &mut self,
        memories: &mut MemorySection,
        section: wasmparser::MemorySectionReader<'_>,
    ) -> Result<(), ReencodeError> {
        reencode::utils::parse_memory_section(self, memories, section)?;
        memories.memory(self.cov_memory_type());
        self.emitted.memory = true;
        Ok(())
    }

    fn parse_global_section(
        &mut self,
        globals: &mut GlobalSection,
        section: wasmparser::GlobalSectionReader<'_>,
    ) -> Result<(), ReencodeError> {
        reencode::utils::parse_global_section(self, globals, section)?;
        self.add_global(globals);
        Ok(())
    }

    fn parse_export_section(
        &mut self,
        exports: &mut ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), ReencodeError> {
        reencode::utils::parse_export_section(self, exports, section)?;
        self.add_export(exports);
        Ok(())
    }

    /// Adds the sections the module lacks, in their place in the order.
    fn intersperse_section_hook(
        &mut self,
        module: &mut Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), ReencodeError> {
        let next = before.map_or(u8::MAX, rank);
        if !self.shape.memory_section && !self.emitted.memory && next > rank(SectionId::Memory) {
            let mut memories = MemorySection::new();
            memories.memory(self.cov_memory_type());
            module.section(&memories);
            self.emitted.memory = true;
        }
        if !self.shape.global_section && !self.emitted.global && next > rank(SectionId::Global) {
            let mut globals = GlobalSection::new();
            self.add_global(&mut globals);
            module.section(&globals);
        }
        if !self.shape.export_section && !self.emitted.export && next > rank(SectionId::Export) {
            let mut exports = ExportSection::new();
            self.add_export(&mut exports);
            module.section(&exports);
        }
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> Result<(), ReencodeError> {
        let params = self.params.get(self.next_func).copied().unwrap_or(0);
        self.next_func += 1;
        let mut locals = Vec::new();
        let mut scratch = params;
        for pair in func.get_locals_reader()? {
            let (count, ty) = pair?;
            locals.push((count, self.val_type(ty)?));
            // The validator bounds the total number of locals far below 2^32.
            scratch += count;
        }
        if self.options.cmplog {
            // Two i32 scratch locals (scratch, scratch + 1), then two i64.
            locals.push((2, ValType::I32));
            locals.push((2, ValType::I64));
        }
        let mut f = Function::new(locals);
        self.probe(&mut f);
        let mut depth = 0;
        let mut reader = func.get_operators_reader()?;
        while !reader.eof() {
            let op = reader.read()?;
            if self.options.cmplog
                && let Some(wide) = compare(&op)
            {
                let (site, a) = if wide {
                    self.cmp64 += 1;
                    (self.cmp64, scratch + 2)
                } else {
                    self.cmp32 += 1;
                    (self.cmp32, scratch)
                };
                self.added.compare(&mut f, wide, site, a);
            }
            let after = starts_block(&op, &mut depth);
            f.instruction(&self.instruction(op)?);
            if after {
                self.probe(&mut f);
            }
        }
        code.function(&f);
        Ok(())
    }
}
