"""What the app holds for lessons (created in the lifespan): the library, the sessions and their runner."""

from pathlib import Path

from app.lessons.library import LessonLibrary
from app.lessons.runner import Runner
from app.lessons.session import LessonSession, Sessions
from app.live.errors import NotFound
from app.live.manager import RunManager
from app.store.service import RecordingService

LESSONS_SUBDIR = "lessons"  # <data dir>/lessons: the lecturers' own lesson files


class LessonService:
    """Lessons on offer and lessons being given."""

    def __init__(self, data_dir: Path, manager: RunManager, recordings: RecordingService) -> None:
        self.library = LessonLibrary(data_dir / LESSONS_SUBDIR)
        self.runner = Runner(manager, recordings)
        self.recordings = recordings
        self.sessions = Sessions()

    def start(self, lesson_id: str) -> LessonSession:
        """A new session of the lesson (no runs yet: opening a step prepares them)."""
        entry = self.library.get(lesson_id)
        if entry is None:
            raise NotFound(f"no lesson {lesson_id!r}")
        return self.sessions.add(LessonSession(entry.lesson, self.runner))

    def close(self) -> None:
        self.sessions.close()
