"""Heart rate for one activity file from a trained checkpoint (`pulselake predict`)."""
