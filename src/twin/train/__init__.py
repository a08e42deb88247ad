"""Fine-tuning the twin: LoRA training, hardware presets, checkpoints, runs and export."""
