//! Tests for the slurm.conf parser.
