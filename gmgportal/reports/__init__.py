"""Progress reports: a group's report for a period assembled from the live data as of its end date,
edited by the chairs, frozen as numbered snapshots, compared, published and exported."""
