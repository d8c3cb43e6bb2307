"""Units and calendar constants shared by every layer (cost per month, per day)."""

HOURS_PER_MONTH = 730.0  # 8760 h / 12, the usual cloud-billing month
SECONDS_PER_DAY = 86400.0
