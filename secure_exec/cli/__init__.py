"""secure_exec.cli layer."""
