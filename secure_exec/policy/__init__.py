"""secure_exec.policy layer."""
