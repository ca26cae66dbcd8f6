"""The service catalog (政务服务事项目录): items, departments, guides, halls, retrieval and the lexicon."""
