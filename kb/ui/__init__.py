"""The Gradio app's pages: one module and one class per tab; app.py wires them around one Engine."""
from .chat import ChatPage
from .documents import DocumentsPage
from .help import HelpPage
from .state import EngineHolder
from .targets import TargetsPage
from .tasks import TasksPage
from .upload import UploadPage

__all__ = ["ChatPage", "DocumentsPage", "EngineHolder", "HelpPage", "TargetsPage", "TasksPage", "UploadPage"]
