"""Apple Health exports: export.xml in one streaming pass, GPX routes, heart rate aligned
onto each run's GPS clock; one partition per person."""
