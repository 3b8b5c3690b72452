"""FitRec/Endomondo JSON lines: reader -> chunk parser -> fast split -> slow literal fallback
-> bronze tables, one partition per file."""
