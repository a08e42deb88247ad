"""An Accelerate config for training across several GPUs or machines with FSDP."""

from __future__ import annotations


def fsdp_config(processes: int, machines: int = 1, mixed_precision: str = "bf16") -> str:
    """YAML for ``accelerate launch --config_file``: FSDP sharding across `processes` GPUs."""
    return f"""\
# Accelerate config for training across GPUs with FSDP, written by
# `twin train --print-accelerate-config`. See src/twin/train/README.md.
compute_environment: LOCAL_MACHINE
distributed_type: FSDP
downcast_bf16: 'no'
fsdp_config:
  fsdp_auto_wrap_policy: TRANSFORMER_BASED_WRAP
  fsdp_backward_prefetch: BACKWARD_PRE
  fsdp_cpu_ram_efficient_loading: true
  fsdp_forward_prefetch: false
  fsdp_offload_params: false
  fsdp_sharding_strategy: FULL_SHARD
  fsdp_state_dict_type: SHARDED_STATE_DICT
  fsdp_sync_module_states: true
  fsdp_use_orig_params: true
machine_rank: 0
main_training_function: main
mixed_precision: {mixed_precision}
num_machines: {machines}
num_processes: {processes}
rdzv_backend: static
same_network: true
use_cpu: false
"""
