"""secure_exec.bridge layer."""
