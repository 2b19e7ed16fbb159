//! The code the rewriter inserts: the edge probe of a basic block and the operand log of a compare.

use wasm_encoder::{Function, Instruction, MemArg};

use super::layout;

/// Where the inserted code finds what the rewriter added to the module.
#[derive(Clone, Copy, Debug)]
pub(super) struct Added {
    /// The index of the coverage memory.
    pub(super) memory: u32,
    /// The index of the `prev` global.
    pub(super) prev: u32,
}

impl Added {
    fn arg(self, offset: u64, align: u32) -> MemArg {
        MemArg {
            offset,
            align,
            memory_index: self.memory,
        }
    }

    /// `counters[cur ^ prev] += 1; prev = cur >> 1`, stack-neutral. The index
    /// is computed twice rather than kept in a local, so functions need no
    /// extra local for coverage. `cur` is below 2^16 and `prev` below 2^15,
    /// so the index stays inside the counters.
    pub(super) fn edge(self, f: &mut Function, cur: u16) {
        let cur = i32::from(cur);
        for _ in 0..2 {
            f.instruction(&Instruction::GlobalGet(self.prev));
            f.instruction(&Instruction::I32Const(cur));
            f.instruction(&Instruction::I32Xor);
        }
        f.instruction(&Instruction::I32Load8U(self.arg(0, 0)));
        f.instruction(&Instruction::I32Const(1));
        f.instruction(&Instruction::I32Add);
        f.instruction(&Instruction::I32Store8(self.arg(0, 0)));
        f.instruction(&Instruction::I32Const(cur >> 1));
        f.instruction(&Instruction::GlobalSet(self.prev));
    }

    /// Before a binary compare: pops both operands into the scratch locals
    /// `a` and `a + 1`, stores them in compare slot `site`, and pushes them
    /// back for the compare itself.
    pub(super) fn compare(self, f: &mut Function, wide: bool, site: u32, a: u32) {
        let b = a + 1;
        let (addr, width, store): (u32, u64, fn(MemArg) -> Instruction<'static>) = if wide {
            let slot = layout::CMP64_BASE + (site % layout::CMP64_SLOTS) * layout::CMP64_SLOT;
            (slot, 8, Instruction::I64Store)
        } else {
            let slot = layout::CMP32_BASE + (site % layout::CMP32_SLOTS) * layout::CMP32_SLOT;
            (slot, 4, Instruction::I32Store)
        };
        let align = if wide { 3 } else { 2 };
        f.instruction(&Instruction::LocalSet(b));
        f.instruction(&Instruction::LocalSet(a));
        for (i, local) in [a, b].into_iter().enumerate() {
            // The slot address is a constant below 2^18: no sign issue.
            f.instruction(&Instruction::I32Const(addr as i32));
            f.instruction(&Instruction::LocalGet(local));
            f.instruction(&store(self.arg(width * i as u64, align)));
        }
        f.instruction(&Instruction::LocalGet(a));
        f.instruction(&Instruction::LocalGet(b));
    }
}
