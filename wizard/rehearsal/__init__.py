"""The rehearsal: the two embedded clusters (clusters), getting them and the workspace ready for a
week's run (preparation), and the sample application the week checks (workspace/, package data)."""
