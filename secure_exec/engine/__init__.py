"""secure_exec.engine layer."""
