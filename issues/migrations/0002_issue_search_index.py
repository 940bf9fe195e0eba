"""The GIN index behind the list's full-text search, on PostgreSQL only.

The indexed expression must be exactly the one `IssueFilter.filter_text` searches
(issues.filters.search_vector), or PostgreSQL will not use it; a test checks with EXPLAIN.
It is written out here rather than imported, so that this migration stays as it was applied.
"""

from django.db import migrations

INDEX_NAME = "issue_search_idx"


def _index():
    from django.contrib.postgres.indexes import GinIndex
    from django.contrib.postgres.search import SearchVector

    return GinIndex(SearchVector("title", "description", config="english"), name=INDEX_NAME)


def create_search_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.add_index(apps.get_model("issues", "Issue"), _index())


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.remove_index(apps.get_model("issues", "Issue"), _index())


class Migration(migrations.Migration):
    dependencies = [("issues", "0001_initial")]

    operations = [migrations.RunPython(create_search_index, drop_search_index)]
