-- The QA score of each call analysed by the `qa` analysis (qa-scorecard.json): the weights of the
-- questions answered yes over the weights of the questions that applied, from 0 to 100; null when
-- no question applied. The weights are here, not in the prompt: change them and every score changes,
-- with no call analysed again.
--
-- Runs as it is on the laptop's DuckDB database (.tap/warehouse.duckdb); in BigQuery, name the table
-- with its dataset: `my-project.calls_transcript_analysis.qa_results`.
SELECT
  record_id,
  analysis_version,
  verified_identity,
  offered_upsell,
  explained_next_steps,
  closed_properly,
  100 * (
    CASE WHEN verified_identity = 'yes' THEN 30 ELSE 0 END
    + CASE WHEN offered_upsell = 'yes' THEN 10 ELSE 0 END
    + CASE WHEN explained_next_steps = 'yes' THEN 30 ELSE 0 END
    + CASE WHEN closed_properly = 'yes' THEN 30 ELSE 0 END
  ) / NULLIF(
    CASE WHEN verified_identity <> 'not_applicable' THEN 30 ELSE 0 END
    + CASE WHEN offered_upsell <> 'not_applicable' THEN 10 ELSE 0 END
    + CASE WHEN explained_next_steps <> 'not_applicable' THEN 30 ELSE 0 END
    + CASE WHEN closed_properly <> 'not_applicable' THEN 30 ELSE 0 END,
    0
  ) AS qa_score
FROM `qa_results`
