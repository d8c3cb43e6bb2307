"""The interview-ready report: document builder, charts and HTML/Markdown renderers.

PDF and the canvas diagram need Qt; ``designer.report_render`` supplies them as injected callables.
"""

from simulation.report.cli import generate_report, write_report
from simulation.report.document import Report
from simulation.report.sections import build_report

__all__ = ["Report", "build_report", "generate_report", "write_report"]
