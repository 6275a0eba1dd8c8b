"""审计日志: who logged in, uploaded, rolled back, exported or revealed what, when, with which filter and
how many rows. Admins only: app.py leaves the page out of everyone else's navigation, and the page
checks again before reading the log."""

from __future__ import annotations

import streamlit as st

from onescreen import audit, data, ui

st.title("审计日志")
if not data.current_access().identity.can("read_audit"):
    st.error("只有管理员可以查看审计日志。")
    st.stop()

log = audit.read()
st.caption(f"日志文件：{audit.audit_path()} · 最新在前，最多显示 5,000 条。电话等个人信息在记录前已脱敏。")
if log.empty:
    st.info("还没有审计记录。登录、导入、撤销、导出和查看完整电话都会记在这里。", icon=":material/info:")
    st.stop()

left, middle, right = st.columns(3)
actions = sorted(log["操作"].dropna().unique())
picked = left.multiselect("操作", actions, key="audit_actions", placeholder="全部操作")
people = sorted(log["用户"].dropna().unique())
who = middle.multiselect("用户", people, key="audit_users", placeholder="全部用户")
text = right.text_input("内容包含", key="audit_text", max_chars=60)
shown = log
if picked:
    shown = shown[shown["操作"].isin(picked)]
if who:
    shown = shown[shown["用户"].isin(who)]
if text.strip():
    shown = shown[shown["内容"].str.contains(text.strip(), regex=False, na=False)]
st.markdown(f"共 {len(shown):,} 条。")
st.dataframe(shown, hide_index=True, placeholder=ui.MISSING, width="stretch",
             column_config={"时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")})
