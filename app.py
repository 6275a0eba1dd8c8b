"""OneScreen (一屏): the frame and router. Page config, login, navigation, the shared filters; nothing else."""

import streamlit as st

from onescreen import access, auth, data, db, downloads, errors, filters, settings, streamlit_patches, ui

streamlit_patches.install()  # a faster st.dataframe(styler) for the pinned Streamlit (see the module)
downloads.install()  # one gate for every download button: none on the wall (see the module)

# The tab icon is a local file: a Material icon here would be fetched from fonts.gstatic.com.
st.set_page_config(page_title="一屏 · 基层治理一屏尽览", page_icon=str(settings.STATIC_DIR / "favicon.png"), layout="wide")

# The big screen is declared twice. The default page answers at "/", and Streamlit answers a bookmark of the default
# page's own url_path with "Page not found"; so a hidden second entry for the same script answers at "/overview".
PAGES = [
    st.Page("app_pages/overview.py", title="一屏总览", icon=":material/monitor:", url_path="home", default=True),
    st.Page("app_pages/lights.py", title="亮灯地图", icon=":material/traffic:", url_path="lights"),
    st.Page("app_pages/rates.py", title="三率分析", icon=":material/trending_up:", url_path="rates"),
    st.Page("app_pages/heat.py", title="网格热力", icon=":material/map:", url_path="heat"),
    st.Page("app_pages/companies.py", title="物业红黑榜", icon=":material/apartment:", url_path="companies"),
    st.Page("app_pages/tickets.py", title="工单明细", icon=":material/list_alt:", url_path="tickets"),
    st.Page("app_pages/weekly.py", title="周报", icon=":material/summarize:", url_path="weekly"),
    st.Page("app_pages/upload.py", title="数据导入", icon=":material/upload_file:", url_path="upload"),
    st.Page("app_pages/audit.py", title="审计日志", icon=":material/receipt_long:", url_path="audit"),
    st.Page("app_pages/overview.py", title="一屏总览", icon=":material/monitor:", url_path="overview",
            visibility="hidden"),
]

errors.install_log_filter()
ui.streamlit_texts_in_chinese()  # Streamlit's own English, where its API takes no text (the login page too)
ui.metric_deltas_wrap()
ui.legible()  # captions at 4.5:1, a visible keyboard focus on page links and table toolbars
ui.small_screens()  # phones and tablets: no plotly toolbar over the legends, maps that let the page scroll
db.pin()  # every query of this run reads the same warehouse or snapshot, even if a new one lands
identity = auth.current_identity()
if identity is None:
    # The address asked for (/weekly?report=…, a shared link) is resolved before the login page shows, so the browser
    # keeps it: the login's rerun then opens that page with its parameters, not the default one. Nothing runs here.
    st.navigation(PAGES, position="hidden")
    st.set_page_config(page_title="登录 · 一屏")
    auth.login_page()
kiosk = ui.is_kiosk()
if identity.is_wall and not kiosk:
    # A kiosk-role identity (a screen key, a password account of that role) shows the wall whatever address it came
    # with: no sidebar, no tables, no downloads.
    st.query_params["kiosk"] = "1"
    kiosk = True
# Only the pages this identity may open exist in its navigation (access.PAGE_TIERS declares each tier).
pages = auth.allowed_pages(identity, PAGES)
# The others answer at their address with why they are closed (auth.closed_pages), hidden from the navigation.
navigation = st.navigation(pages + auth.closed_pages(identity, PAGES), position="hidden" if kiosk else "sidebar")
current = auth.page_name(navigation)
# Each page its own browser title ("三率分析 · 一屏"): a screen reader announces it, a tab or bookmark is told apart.
st.set_page_config(page_title=f"{navigation.title} · 一屏")
auth.show_identity(identity, kiosk)
if identity.scope.is_empty:
    auth.no_scope_page(identity)
data.set_access(access.page_access(identity, current, kiosk_mode=kiosk))
try:
    # 周报 and 物业红黑榜 pick their own periods (and say when one is unfinished); 数据导入 and 审计日志 show no
    # period's numbers: no note from the sidebar that its period is unfinished.
    st.session_state["filters"] = filters.current_filters(
        widgets=not kiosk, period_note=current not in ("weekly", "companies", "upload", "audit"))
    allowed = [auth.page_name(page) for page in pages]
    if (seconds := ui.carousel_seconds()) and (following := ui.carousel_next(current, allowed)):
        ui.carousel(seconds, f"app_pages/{following}.py")
    navigation.run()
except Exception as error:  # st.stop/st.rerun are not Exceptions: they pass through
    st.error(errors.report(error))
