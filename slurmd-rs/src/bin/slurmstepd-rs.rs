//! The step daemon slurmd-rs execs for each srun step launched on the node
//! (see `slurmd::srun_step::stepd`).

fn main() -> std::process::ExitCode {
    slurmd::srun_step::stepd::main()
}
