"""Dataset engine: model rules, streaming validation, fixes, split, converters and cost estimates.

One engine for the pipeline's Validate step and the `tuneline` command:
  models.py     the model rules table (data) and model/teacher resolution
  validator.py  validate_dataset(): one streaming pass -> tuneline.findings.Report
  scan.py       the per-file hot loop; records.py the per-format record checks
  pii.py        personal-data detectors; pii_gate.py the byte-level gate that runs them only where needed
  lines.py      line readers over any `.read(n)` stream
  fix.py, split.py, convert.py, cost.py, prices.py, stats.py
  cli.py        validate / fix / split / convert / estimate
"""
