//! The compare observer: hands the operands of the guest's integer compares to LibAFL's input-to-state mutator.

use std::borrow::Cow;

use libafl::Error;
use libafl::common::HasMetadata;
use libafl::observers::Observer;
use libafl::observers::cmp::{CmpValues, CmpValuesMetadata};
use libafl_bolts::Named;
use serde::{Deserialize, Serialize};

use crate::target::Compare;

/// Holds the compares of the last tracing run; after the run, replaces the
/// state's [`CmpValuesMetadata`] with them (what `I2SRandReplace` reads).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CompareObserver {
    #[serde(skip)]
    compares: Vec<Compare>,
}

impl CompareObserver {
    pub(super) fn set(&mut self, compares: &[Compare]) {
        self.compares.clear();
        self.compares.extend_from_slice(compares);
    }
}

impl Named for CompareObserver {
    fn name(&self) -> &Cow<'static, str> {
        static NAME: Cow<'static, str> = Cow::Borrowed("compares");
        &NAME
    }
}

impl<I, S> Observer<I, S> for CompareObserver
where
    S: HasMetadata,
{
    fn pre_exec(&mut self, _state: &mut S, _input: &I) -> Result<(), Error> {
        self.compares.clear();
        Ok(())
    }

    fn post_exec(
        &mut self,
        state: &mut S,
        _input: &I,
        _exit_kind: &libafl::executors::ExitKind,
    ) -> Result<(), Error> {
        let meta = state.metadata_or_insert_with(CmpValuesMetadata::new);
        meta.list.clear();
        for c in &self.compares {
            // Neither side is known to be a constant: I2S tries both ways.
            meta.list.push(match *c {
                Compare::I32(a, b) => CmpValues::U32((a, b, false)),
                Compare::I64(a, b) => CmpValues::U64((a, b, false)),
            });
        }
        Ok(())
    }
}
