"""What a person opens after a run: the job report page, the model card and the leaderboard.

Pure renderers: each takes the plain dicts the pipeline already keeps (the run record, see `record.py`) and
returns text. The standard library only, since they run in the Lambda asset; pages are self-contained (inline
CSS and SVG, no scripts from elsewhere) so they open offline, from S3 or from a phone.
"""
