"""Exception hierarchy of neuromorph, and its one vocabulary of failures.

Every error a user can provoke derives from :class:`NeuromorphError`. The
input errors also derive from :class:`ValueError`, so code that already
catches ``ValueError`` keeps working.

Why a run failed is a :class:`Failure`, whatever engine ran it (a single run, the lanes of an
ensemble, a study's member, ngspice) and wherever it is kept (``SimulationError.reason``,
``SimulationResult.reason``, ``EnsembleResult.failures``, a study store's ``status`` codes).
"""

import enum

__all__ = [
    "Failure",
    "NeuromorphError",
    "ModelError",
    "StimulusError",
    "SolverError",
    "CircuitFileError",
    "SimulationError",
    "OutputError",
    "ClusterError",
    "NeuromorphWarning",
]


class NeuromorphError(Exception):
    """Base class of every neuromorph error.

    Catch it to handle anything neuromorph refuses or fails at, whatever the layer: a bad
    parameter (:class:`ModelError`), stimulus (:class:`StimulusError`) or solver option
    (:class:`SolverError`), an unreadable circuit file (:class:`CircuitFileError`), a failed run
    (:class:`SimulationError`), an unwritable output (:class:`OutputError`) or an unreachable
    cluster (:class:`ClusterError`).

    Examples
    --------
    >>> import neuromorph as nm
    >>> try:
    ...     nm.Neuron(C=0.0)
    ... except nm.NeuromorphError as err:
    ...     print(type(err).__name__, "|", err)
    ModelError | `C` must be > 0, got 0.0
    >>> all(issubclass(error, nm.NeuromorphError) for error in (nm.StimulusError, nm.SimulationError,
    ...                                                          nm.OutputError, nm.ClusterError))
    True
    """


class ModelError(NeuromorphError, ValueError):
    """A neuron, element or parameter is invalid (bad value, unknown name).

    Raised on construction or on :meth:`~neuromorph.Neuron.set`, before any run; the message
    names the argument or path and what was received. It is also a ``ValueError``.

    Examples
    --------
    >>> import neuromorph as nm
    >>> n = nm.Neuron()
    >>> try:
    ...     n.set("slow_negative.alpha", -1.0)
    ... except nm.ModelError as err:
    ...     print(err)
    neuron 'neuron' has no element 'slow_negative'; its elements are: none
    >>> issubclass(nm.ModelError, ValueError)
    True
    """


class StimulusError(NeuromorphError, ValueError):
    """An applied-current description is invalid.

    Raised when a stimulus piece is built with bad values, or when something that is not a
    number or a :class:`~neuromorph.Stimulus` is given as an applied current. It is also a
    ``ValueError``.

    Examples
    --------
    >>> import neuromorph as nm
    >>> try:
    ...     nm.Pulse(start=100.0, stop=50.0, amplitude=-1.0)
    ... except nm.StimulusError as err:
    ...     print(err)
    pulse `stop` must be > `start`, got start=100.0, stop=50.0
    >>> try:
    ...     nm.simulate("tonic", t_end=100, i_app=lambda t: -0.7)
    ... except nm.StimulusError as err:
    ...     print(err)
    `i_app` cannot be a Python function (it would run inside the solver loop); sample it instead:
    nm.Sampled(t, f(t))
    """


class SolverError(NeuromorphError, ValueError):
    """Solver options are invalid (unknown method, bad tolerance or step).

    Raised before the run starts; it is also a ``ValueError``.

    Examples
    --------
    >>> import neuromorph as nm
    >>> try:
    ...     nm.simulate("tonic", t_end=-5.0)
    ... except nm.SolverError as err:
    ...     print(err)
    `t_end` must be > t0 = 0.0, got -5.0
    """


class CircuitFileError(ModelError):
    """A circuit description file cannot be read: syntax, unknown or missing keys, wrong types.

    The message starts with where the text came from (the file's path, ``<string>`` for
    :func:`~neuromorph.loads`). A :class:`ModelError`, so also a ``ValueError``.

    Examples
    --------
    >>> import neuromorph as nm
    >>> try:
    ...     nm.loads("[neuron]\\nC = 1.0\\n")
    ... except nm.CircuitFileError as err:
    ...     print(err)
    <string>: missing key 'elements' in the top level
    >>> issubclass(nm.CircuitFileError, nm.ModelError)
    True
    """


class OutputError(NeuromorphError, OSError):
    """An output file cannot be written: it is an input, two outputs collide, or its folder refuses it.

    Raised before any work where possible; the message names the user's path. It is also an
    ``OSError``.

    Examples
    --------
    >>> import os, tempfile
    >>> import neuromorph as nm
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "missing", "tonic.toml")
    ...     try:
    ...         nm.save(nm.preset("tonic"), path)
    ...     except nm.OutputError as err:
    ...         print(str(err).endswith("does not exist"), os.path.exists(path))
    True False
    """


class ClusterError(NeuromorphError, ConnectionError):
    """A Dask scheduler cannot be reached, or the cluster cannot run the study.

    It is also a ``ConnectionError``. An unreachable scheduler is reported after the ``timeout``
    of :func:`~neuromorph.run_study`, before any member runs.

    Examples
    --------
    >>> import neuromorph as nm
    >>> study = nm.Study("tonic", t_end=100.0)
    >>> try:  # nothing listens there
    ...     nm.run_study(study, scheduler="tcp://127.0.0.1:9", timeout=0.2)
    ... except ConnectionError as err:  # a ClusterError is a ConnectionError too
    ...     print(type(err).__name__, str(err).startswith("could not reach the Dask scheduler at 'tcp://127.0.0.1:9'"))
    ClusterError True
    """


class NeuromorphWarning(UserWarning):
    """A run or analysis whose result may mislead: loose tolerances, an analysis window adapted, ...

    A ``UserWarning``: shown once per place by default; turn it into an error with
    ``warnings.simplefilter("error", nm.NeuromorphWarning)``.

    Examples
    --------
    A time-constant spread so wide that a draw is non-positive, raised to 5 % of nominal
    instead of refused (``truncate=True``), says so:

    >>> import warnings
    >>> import neuromorph as nm
    >>> model = nm.preset("bursting").compile()
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = nm.Mismatch(tau=1.0, truncate=True).draw(model, seed=1, chips=[0, 1, 2])
    >>> [w.category.__name__ for w in caught]
    ['NeuromorphWarning']
    >>> print(caught[0].message)
    Mismatch: 1 time constant or capacitance draw(s) were non-positive and raised to 0.05 of nominal
    """


class Failure(str, enum.Enum):
    """Why a run stopped short of its end: the one vocabulary of every engine, store and message.

    A member is a string (its value), so ``err.reason == "diverging"``, JSON output and string arrays
    see the text they always saw; :attr:`explanation` is the sentence messages use and :attr:`code` the
    integer a study store keeps (``Failure.from_code(code)`` reads it back). Codes never change: a
    reason added later takes the next one.

    ==================  =========================  ====  =====================================================
    member              value                      code  where it occurs
    ==================  =========================  ====  =====================================================
    ``OK``              ``"ok"``                   0     every engine: the run reached its end
    ``NON_FINITE``      ``"non-finite state"``     1     fixed-step single runs, ensemble lanes, their studies,
                                                         the adaptive observer (estimation)
    ``DIVERGING``       ``"diverging"``            2     single runs, ensemble lanes, studies, ngspice
    ``STEP_UNDERFLOW``  ``"step size underflow"``  3     adaptive single runs (dopri5, rosenbrock23)
    ``TOO_MANY_STEPS``  ``"too many steps"``       4     single runs (``max_steps``), studies of single runs
    ``SOLVER_FAILED``   ``"solver failed"``        5     rosenbrock23 (a singular iteration matrix), ngspice
    ``INTERRUPTED``     ``"interrupted"``          6     Ctrl-C or a ``stop`` event (an Integrator's result)
    ``OUT_OF_RANGE``    ``"out of range"``         7     ngspice at the transistor level
    ==================  =========================  ====  =====================================================

    An adaptive run never reports ``NON_FINITE``: a non-finite trial step is rejected and shrunk, so a
    blow-up ends as ``DIVERGING`` or ``STEP_UNDERFLOW``. An interrupted ensemble, study or ngspice run
    raises ``KeyboardInterrupt`` and leaves no result (a study's members not run read ``"not run"``).

    Parameters
    ----------
    value : str
        The text of a reason (``"diverging"``): ``Failure(value)`` is that member (the way a
        stored or serialised reason is read back).
    names, module, qualname, type, start, boundary : optional
        The ``Enum`` functional API for making a new enumeration. ``Failure`` has its members and
        cannot be extended: giving ``names`` raises ``TypeError``.

    Raises
    ------
    ValueError
        ``Failure(value)`` with a text no reason has.
    KeyError
        :meth:`from_code` with a code no reason has.
    TypeError
        ``Failure(value, names)``: an attempt to extend the enumeration.

    Examples
    --------
    >>> from neuromorph.errors import Failure
    >>> Failure.DIVERGING == "diverging", Failure.DIVERGING.code, Failure.from_code(2) is Failure.DIVERGING
    (True, 2, True)
    >>> Failure("too many steps").explanation
    'the run needs more steps than max_steps allows'
    >>> Failure("bogus")
    Traceback (most recent call last):
        ...
    ValueError: 'bogus' is not a valid Failure
    """

    def __new__(cls, value, code, explanation):
        member = str.__new__(cls, value)
        member._value_ = value
        member.code = code
        member.explanation = explanation
        return member

    OK = "ok", 0, "the run reached its end"
    NON_FINITE = "non-finite state", 1, "the state became non-finite (the model diverges)"
    DIVERGING = "diverging", 2, "a membrane voltage grows without bound"
    STEP_UNDERFLOW = ("step size underflow", 3, "the step size underflowed: the solution changes faster than "
                      "double precision can follow (a blow-up or a discontinuity)")
    TOO_MANY_STEPS = "too many steps", 4, "the run needs more steps than max_steps allows"
    SOLVER_FAILED = "solver failed", 5, "the solver could not go on"
    INTERRUPTED = "interrupted", 6, "the run was interrupted (Ctrl-C or a stop request)"
    OUT_OF_RANGE = ("out of range", 7, "a transistor-level membrane left the range its circuit follows the "
                    "model in")

    def __str__(self):
        return self.value

    __format__ = str.__format__

    @classmethod
    def from_code(cls, code):
        """The member whose :attr:`code` is ``code`` (a study store's ``status``)."""
        return _BY_CODE[int(code)]


_BY_CODE = {member.code: member for member in Failure}


class SimulationError(NeuromorphError, RuntimeError):
    """A run failed: its state diverged, its step size underflowed, it needed too many steps, its solver failed.

    Also a ``RuntimeError``. The message says when, why and what to change; the attributes say
    it for code.

    Attributes
    ----------
    t : float
        Simulation time (dimensionless) at which the failure was detected.
    reason : Failure
        Why (a str enum: it compares equal to its text, e.g. ``"diverging"``, a membrane voltage growing
        without bound); see :class:`Failure` for each reason and the engines it occurs in. A string given
        here is read as the member of that value.

    Examples
    --------
    Euler's method with a step far beyond its stability limit blows up:

    >>> import neuromorph as nm
    >>> try:
    ...     nm.simulate("bursting", t_end=100.0, method="euler", dt=5.0)
    ... except nm.SimulationError as err:
    ...     print(err.reason == "diverging", err.t)
    True 20.0
    """

    def __init__(self, message, t, reason):
        super().__init__(message)
        self.t = t
        self.reason = Failure(reason)
