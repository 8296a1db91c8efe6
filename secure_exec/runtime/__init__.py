"""secure_exec.runtime layer."""
