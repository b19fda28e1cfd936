"""Label Studio projects as empathykit uses them: one per (schema, title).

The project's description records the schema (``empathykit schema: NAME``)
so that pull and status can tell what a project holds. Overlap (k annotators
per task) is Label Studio Community's ``maximum_annotations = k`` with
``overlap_cohort_percentage = 100``: the label stream then hands each task to
k different annotators and counts it finished at k submitted annotations
(skips and ground-truth annotations do not count). Gold tasks use
``annotator_evaluation_enabled``: annotators get the tasks that carry a
ground-truth annotation first, for calibration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from empathykit.annotate.connection import StudioClient, short_body
from empathykit.errors import StudioError
from empathykit.progress import Progress, report

DESCRIPTION_PREFIX = "empathykit schema: "
_SCHEMA_IN_DESCRIPTION = re.compile(r"empathykit schema: (\S+(?: \{.*\})?)")
PAGE_SIZE = 10_000


@dataclass
class ProjectRef:
    id: int
    title: str
    url: str
    label_config: str
    schema: str | None
    maximum_annotations: int | None = None


def _ref(client: StudioClient, project: Any) -> ProjectRef:
    found = _SCHEMA_IN_DESCRIPTION.search(project.description or "")
    return ProjectRef(
        id=project.id,
        title=project.title,
        url=f"{client.url}/projects/{project.id}",
        label_config=project.label_config or "",
        schema=found.group(1) if found else None,
        maximum_annotations=getattr(project, "maximum_annotations", None),
    )


def find_project(client: StudioClient, project: str | int) -> ProjectRef | None:
    """The project with this id (an int or all-digit string) or exact title."""
    with client.call(f"looking up project {project!r}"):
        if isinstance(project, int) or str(project).isdigit():
            from label_studio_sdk.core.api_error import ApiError

            try:
                return _ref(client, client.sdk.projects.get(int(project)))
            except ApiError as error:
                if error.status_code == 404:
                    return None
                raise
        matches = [p for p in client.sdk.projects.list(title=str(project), page_size=100) if p.title == project]
    if len(matches) > 1:
        ids = ", ".join(str(p.id) for p in matches)
        raise StudioError(
            f"{len(matches)} projects are titled {project!r} (ids {ids})",
            hint="pass the project id instead of its title",
        )
    if not matches:
        return None
    with client.call(f"reading project {matches[0].id}"):
        return _ref(client, client.sdk.projects.get(matches[0].id))


def require_project(client: StudioClient, project: str | int) -> ProjectRef:
    found = find_project(client, project)
    if found is None:
        raise StudioError(
            f"no project {project!r} in Label Studio at {client.url}",
            hint="check the title or id (`empathykit annotate status` lists none; the UI lists all)",
        )
    return found


def create_project(
    client: StudioClient,
    *,
    title: str,
    schema_name: str,
    label_config: str,
    instructions: str,
    settings: dict[str, Any],
) -> ProjectRef:
    """Create the project; Label Studio validates the labeling config."""
    from label_studio_sdk.core.api_error import ApiError

    with client.call(f"creating project {title!r}"):
        try:
            created = client.sdk.projects.create(
                title=title,
                label_config=label_config,
                expert_instruction=instructions,
                show_instruction=True,
                description=f"{DESCRIPTION_PREFIX}{schema_name}",
                **settings,
            )
        except ApiError as error:
            if error.status_code != 400:
                raise
            raise StudioError(
                f"Label Studio at {client.url} rejected the labeling config of schema "
                f"{schema_name!r}: {_short(error.body)}"
            ) from None
    with client.call(f"reading project {created.id}"):
        return _ref(client, client.sdk.projects.get(created.id))


def titled_projects(client: StudioClient, title: str) -> list[int]:
    """Ids of the projects with exactly this title, lowest first."""
    with client.call(f"looking up project {title!r}"):
        return sorted(p.id for p in client.sdk.projects.list(title=title, page_size=100) if p.title == title)


def is_empty_empathykit_project(client: StudioClient, project_id: int) -> bool:
    """True for a project push created (schema in its description) that holds no task."""
    from label_studio_sdk.core.api_error import ApiError

    with client.call(f"reading project {project_id}"):
        try:
            project = client.sdk.projects.get(project_id)
        except ApiError as error:
            if error.status_code == 404:
                return False
            raise
    if not _SCHEMA_IN_DESCRIPTION.search(project.description or ""):
        return False
    try:
        body = client.request(
            "GET",
            "/api/tasks",
            params={"project": project_id, "page_size": 1, "include": "id"},
            what=f"counting tasks of project {project_id}",
        ).json()
    except StudioError:
        if not _project_exists(client, project_id):
            return False  # another run's sweep deleted it between the two requests
        raise
    return not body.get("total") and not body.get("tasks")


def _project_exists(client: StudioClient, project_id: int) -> bool:
    from label_studio_sdk.core.api_error import ApiError

    with client.call(f"reading project {project_id}"):
        try:
            client.sdk.projects.get(project_id)
        except ApiError as error:
            if error.status_code == 404:
                return False
            raise
    return True


def delete_project(client: StudioClient, project_id: int) -> None:
    """Delete a project; one already gone is fine."""
    from label_studio_sdk.core.api_error import ApiError

    with client.call(f"deleting project {project_id}"):
        try:
            client.sdk.projects.delete(project_id)
        except ApiError as error:
            if error.status_code != 404:
                raise


def update_project(client: StudioClient, project: ProjectRef, settings: dict[str, Any]) -> None:
    if settings:
        with client.call(f"updating project {project.id}"):
            client.sdk.projects.update(project.id, **settings)


def iter_tasks(
    client: StudioClient,
    project_id: int,
    *,
    include: str = "id,data",
    query: str | None = None,
    on_progress: Progress | None = None,
    stage: str = "reading the project's tasks",
):
    """Every task of a project (``include``: the Data Manager's field list;
    ``query``: its JSON filters), in pages of ``PAGE_SIZE``; the Data Manager
    API is the fast way to list tasks. Progress: ``stage``, tasks read of the total."""
    page = 1
    seen = 0
    params = {"project": project_id, "include": include, "fields": "all", "page_size": PAGE_SIZE}
    if query:
        params["query"] = query
    while True:
        body = client.request("GET", "/api/tasks", params={**params, "page": page}).json()
        tasks = body.get("tasks", [])
        yield from tasks
        seen += len(tasks)
        report(on_progress, stage, seen, body.get("total"))
        if not tasks or seen >= body.get("total", 0):
            return
        page += 1


def _short(body: Any) -> str:

    return short_body(body)
