"""distlab: the library behind *Distributed Systems, Executable*.

Layers (imports point downwards only): ``widgets`` -> ``viz`` -> protocols -> ``sim``.
The core (``sim`` and the protocols) imports neither matplotlib nor ipywidgets.
"""

from .sim import FaultPlan, Network, Node, Simulation

__version__ = "0.1.0"
__all__ = ["Simulation", "Node", "Network", "FaultPlan", "__version__"]
