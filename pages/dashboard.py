"""Monitoring dashboard for managers (Kepala Dinas, Sekretaris, admin).

Volume, time per SOP step against its standard, backlog, returns at step 9, regulatory
clocks, satisfaction, the overdue list, a drill-down to the complaints behind any
figure, and the monthly recapitulation. Definitions: docs/dashboard.md.
"""

import streamlit as st

from layanan.errors import WorkflowError
from layanan.markup import md
from services import dashboard
from ui import dashboard as view
from ui.session import require_page

user = require_page("dashboard")
st.title("Dasbor pemantauan pengaduan")

try:
    filters = view.render_filters(dashboard.units_for_filter(user=user))
    board = dashboard.dashboard(user=user, filters=filters)
except WorkflowError as err:
    st.error(md(err.message))
    st.stop()

view.render_headline(board)
view.render_charts(board)
view.render_drill(board, user)
st.divider()
view.render_recap(user)
