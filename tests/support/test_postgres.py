from __future__ import annotations

import pytest
import sqlalchemy as sa


@pytest.mark.postgres
def test_server_answers(postgres_url):
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("select 40 + 2").scalar() == 42
    engine.dispose()
