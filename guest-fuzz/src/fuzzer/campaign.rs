//! A LibAFL campaign over a [`FuzzTarget`]: max-map feedback on bucketed edge counts, crash and timeout objectives, calibration, cmplog tracing, havoc and token mutations under a power schedule.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use libafl::Evaluator;
use libafl::corpus::{Corpus, InMemoryOnDiskCorpus, OnDiskCorpus};
use libafl::events::SimpleEventManager;
use libafl::feedbacks::{CrashFeedback, MapFeedbackMetadata, MaxMapFeedback, TimeoutFeedback};
use libafl::inputs::BytesInput;
use libafl::monitors::NopMonitor;
use libafl::mutators::{
    HavocScheduledMutator, I2SRandReplace, Tokens, havoc_mutations, tokens_mutations,
};
use libafl::observers::StdMapObserver;
use libafl::observers::{CanTrack, HitcountsMapObserver};
use libafl::schedulers::powersched::PowerSchedule;
use libafl::schedulers::{IndexesLenTimeMinimizerScheduler, StdWeightedScheduler};
use libafl::stages::{
    CalibrationStage, IfStage, StdMutationalStage, StdPowerMutationalStage, TracingStage,
};
use libafl::state::{HasCorpus, HasExecutions, HasMaxSize, HasSolutions, StdState};
use libafl::{Error, Fuzzer, HasMetadata, HasNamedMetadata, StdFuzzer, feedback_or_fast};
use libafl_bolts::rands::StdRand;
use libafl_bolts::tuples::{Merge, tuple_list};

use super::compare::CompareObserver;
use super::executor::{GuestExecutor, LastFinding};
use super::judge::Judge;
use crate::instrument::layout::MAP_SIZE;
use crate::target::FuzzTarget;

/// The name of the edge observer (and of its feedback's metadata).
const EDGES: &str = "edges";

/// How a campaign runs and when it stops.
#[derive(Clone, Debug)]
pub struct Campaign {
    /// The seed of LibAFL's random generator: the same seed, target and
    /// corpus give the same campaign.
    pub seed: u64,
    /// Where interesting inputs go, one file per input (libFuzzer style).
    pub corpus_dir: PathBuf,
    /// Where findings go, one file per input.
    pub crashes_dir: PathBuf,
    /// Initial inputs (an empty input when there are none).
    pub seeds: Vec<Vec<u8>>,
    /// Dictionary tokens for the token mutations.
    pub tokens: Vec<Vec<u8>>,
    /// Stop after this many executions.
    pub max_runs: Option<u64>,
    /// Stop after this long.
    pub max_time: Option<Duration>,
    /// Keep fuzzing after a finding (default: stop at the first).
    pub keep_going: bool,
    /// The largest input the mutators make.
    pub max_len: usize,
}

/// Where a campaign stands.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    /// Executions so far (calibration and tracing included).
    pub execs: u64,
    /// Inputs in the corpus.
    pub corpus: usize,
    /// Edges (map entries) seen so far.
    pub edges: usize,
    /// Findings in the crashes directory.
    pub crashes: usize,
    /// Time since the campaign started.
    pub elapsed: Duration,
}

/// What a campaign found.
#[derive(Debug)]
pub struct Summary {
    /// The final stats.
    pub stats: Stats,
    /// Every finding, in the order found.
    pub findings: Vec<LastFinding>,
}

/// Where `state` stands, `start` being when the campaign began.
fn stats<S>(state: &S, start: Instant) -> Stats
where
    S: HasExecutions + HasCorpus<BytesInput> + HasSolutions<BytesInput> + HasNamedMetadata,
{
    Stats {
        execs: *state.executions(),
        corpus: state.corpus().count(),
        edges: state
            .named_metadata::<MapFeedbackMetadata<u8>>(EDGES)
            .map_or(0, |m| m.num_covered_map_indexes),
        crashes: state.solutions().count(),
        elapsed: start.elapsed(),
    }
}

/// Runs `campaign` on `target` (a module instrumented for coverage);
/// `tracer`, the same program instrumented with `cmplog`, enables the
/// input-to-state stage. `status` is called about once a second and at the
/// end.
///
/// # Errors
/// When LibAFL fails (a directory cannot be written) or the harness does.
pub fn run(
    campaign: &Campaign,
    target: Arc<FuzzTarget>,
    tracer: Option<Arc<FuzzTarget>>,
    judge: Judge,
    status: &mut dyn FnMut(&Stats),
) -> Result<Summary, Error> {
    let start = Instant::now();
    let judge = Arc::new(judge);
    let findings = Arc::new(Mutex::new(Vec::new()));

    let edges = HitcountsMapObserver::new(StdMapObserver::owned(EDGES, vec![0u8; MAP_SIZE]))
        .track_indices();
    let map_feedback = MaxMapFeedback::new(&edges);
    let calibration = CalibrationStage::new(&map_feedback);
    let mut feedback = map_feedback;
    let mut objective = feedback_or_fast!(CrashFeedback::new(), TimeoutFeedback::new());
    let mut state = StdState::new(
        StdRand::with_seed(campaign.seed),
        InMemoryOnDiskCorpus::<BytesInput>::no_meta(&campaign.corpus_dir)?,
        OnDiskCorpus::<BytesInput>::no_meta(&campaign.crashes_dir)?,
        &mut feedback,
        &mut objective,
    )?;
    state.set_max_size(campaign.max_len);
    if !campaign.tokens.is_empty() {
        let mut tokens = Tokens::new();
        tokens.add_tokens(&campaign.tokens);
        state.add_metadata(tokens);
    }
    // The weighted power schedule picks among the favoured inputs the
    // minimizer keeps (the smallest, fastest input for each edge).
    let scheduler = IndexesLenTimeMinimizerScheduler::new(
        &edges,
        StdWeightedScheduler::with_schedule(&mut state, &edges, Some(PowerSchedule::fast())),
    );
    let mut fuzzer = StdFuzzer::new(scheduler, feedback, objective);
    let mut mgr = SimpleEventManager::new(NopMonitor::new());

    let cmplog = tracer.is_some();
    let tracer = GuestExecutor::new(
        tracer.unwrap_or_else(|| target.clone()),
        tuple_list!(CompareObserver::default()),
        judge.clone(),
        findings.clone(),
    );
    let mut executor = GuestExecutor::new(target, tuple_list!(edges), judge, findings.clone());

    let power = StdPowerMutationalStage::new(HavocScheduledMutator::new(
        havoc_mutations().merge(tokens_mutations()),
    ));
    let i2s = StdMutationalStage::new(HavocScheduledMutator::new(tuple_list!(
        I2SRandReplace::new()
    )));
    let trace = IfStage::new(
        move |_: &mut _, _: &mut _, _: &mut _, _: &mut _| Ok(cmplog),
        tuple_list!(TracingStage::new(tracer), i2s),
    );
    let mut stages = tuple_list!(calibration, trace, power);

    let mut seeds = campaign.seeds.clone();
    if seeds.is_empty() {
        seeds.push(Vec::new());
    }
    for seed in seeds {
        fuzzer.add_input(&mut state, &mut executor, &mut mgr, BytesInput::new(seed))?;
    }

    let stats = |state: &_| stats(state, start);
    let mut last_status = Instant::now();
    loop {
        let now = stats(&state);
        let found = now.crashes > 0
            || !findings
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_empty();
        if (found && !campaign.keep_going)
            || campaign.max_runs.is_some_and(|n| now.execs >= n)
            || campaign.max_time.is_some_and(|t| now.elapsed >= t)
        {
            status(&now);
            let findings = findings.lock().unwrap_or_else(|p| p.into_inner()).clone();
            return Ok(Summary {
                stats: now,
                findings,
            });
        }
        if last_status.elapsed() >= Duration::from_secs(1) {
            status(&now);
            last_status = Instant::now();
        }
        fuzzer.fuzz_one(&mut stages, &mut executor, &mut state, &mut mgr)?;
    }
}
