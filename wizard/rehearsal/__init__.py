"""The rehearsal: embedded clusters, their preparation, and the sample application it checks."""
