"""The 一窗: what kind of answer a government question gets, and what it says when nothing answers."""
