"""OneScreen (一屏): the frame and router. Page config, navigation, the shared filters; nothing else."""

import streamlit as st

from onescreen import filters, ui

st.set_page_config(page_title="一屏 · 基层治理一屏尽览", page_icon="🟢", layout="wide")

PAGES = [
    st.Page("app_pages/overview.py", title="一屏总览", icon="🖥️", url_path="overview", default=True),
    st.Page("app_pages/lights.py", title="亮灯地图", icon="🚦", url_path="lights"),
    st.Page("app_pages/rates.py", title="三率分析", icon="📈", url_path="rates"),
    st.Page("app_pages/heat.py", title="网格热力", icon="🗺️", url_path="heat"),
    st.Page("app_pages/companies.py", title="物业红黑榜", icon="🏢", url_path="companies"),
    st.Page("app_pages/tickets.py", title="工单明细", icon="📋", url_path="tickets"),
    st.Page("app_pages/upload.py", title="数据导入", icon="📤", url_path="upload"),
]

kiosk = ui.is_kiosk()
navigation = st.navigation(PAGES, position="hidden" if kiosk else "sidebar")
st.session_state["filters"] = filters.current_filters(widgets=not kiosk)
navigation.run()
