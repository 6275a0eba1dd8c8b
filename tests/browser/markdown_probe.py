"""A page for tests/browser/test_markdown_browser.py: each text of :data:`CASES` (names as exports and users write
them) through :func:`onescreen.ui.markdown_text` into the Markdown of a body, a box, a caption, a radio option and a
button label, as the pages show file, sheet, header, place and company names. Run with ``streamlit run``."""

CASES = [
    "2025*11*月.csv", "a_b_c_.csv", "__init__.csv", "- 10月.csv", "# 标题.csv", "1. 十月.csv", "+ 项", "> 引用.csv",
    "[周报](http://x.cn).csv", "![图](x.png)", "$x^2$ 报表.csv", "$$a$$", "a<b>c</b>.csv", "<!-- c -->x", "~旧~ 版.csv",
    "~~删~~", ":red[红] 表.csv", ":material/home: 表.csv", ":warning: 表.csv", "a&lt;b&amp;c.csv", "| a | b |",
    "`代码`", "**粗** 物业", "\\*已转义\\*", "www.example.com", "http://x.cn/a_b_", "联系 a@b.com", "foo\n===",
    "a\n\n    缩进", "末尾两个空格  \n换行",
]

if __name__ == "__main__":  # streamlit run; the test imports CASES only
    import streamlit as st

    from onescreen import ui

    for i, case in enumerate(CASES):
        text = ui.markdown_text(case)
        st.container(key=f"case_markdown_{i}").markdown(f"**名称**：{text}")
        st.container(key=f"case_warning_{i}").warning(f"{text}：1 条提示")
        st.container(key=f"case_caption_{i}").caption(f"工作表 {text} · 1 行")
        st.container(key=f"case_radio_{i}").radio("选项", [f"同上次（{text}）"], key=f"radio_{i}")
        st.container(key=f"case_button_{i}").download_button(f"下载（{text}）", b"x", file_name="x.csv", key=f"button_{i}")
