"""RaptorFlow's rehearsal backend: a small application the wizard checks during the week."""
