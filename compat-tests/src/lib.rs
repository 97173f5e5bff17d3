//! Harness for running stock Slurm clients against our daemons.
