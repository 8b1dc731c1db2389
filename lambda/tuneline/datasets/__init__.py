"""Dataset engine: model rules, streaming validation, fixes, split, converters and cost estimates.

One engine for the pipeline's Validate step and the `tuneline` command:
  models.py     the model rules table (data) and model/teacher resolution
  validator.py  validate_dataset(): one streaming pass -> tuneline.findings.Report
  scan.py       the per-file hot loop; records.py the per-format record checks
  fix.py, split.py, convert.py, pii.py, cost.py, prices.py, stats.py, lines.py
  cli.py        validate / fix / split / convert / estimate
"""
