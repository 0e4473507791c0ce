"""The scikit-learn estimator contract without importing scikit-learn.

Why: importing scikit-learn costs about a second (it pulls SciPy's statistics and pandas), more
than the whole rest of ``load_model``. scikit-learn's developer guide lets an estimator implement
the contract itself instead of inheriting ``BaseEstimator``: parameters read from ``__init__``'s
signature (``get_params``/``set_params``, so ``clone``, pipelines and grid search work), tags
declared by ``__sklearn_tags__`` (scikit-learn >= 1.6) and ``_more_tags`` (older versions). The
few places that need scikit-learn itself (tags, ``score``) import it when called: whoever calls
them already has it imported.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

__all__ = ["ClassifierMixin", "Estimator", "MetadataRequests", "TextInputMixin", "TransformerMixin"]


def _same(a: Any, b: Any) -> bool:
    """Whether a parameter still has its default (for the repr; arrays and NaN compare safely)."""
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return False
    if _is_nan(a) and _is_nan(b):  # NaN != NaN, yet a NaN default left as it was is unchanged
        return True
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:  # a parameter whose == is not a plain truth value
        return False


def _is_nan(value: Any) -> bool:
    """Whether ``value`` is a scalar NaN (float, numpy float), as scikit-learn's
    ``is_scalar_nan``."""
    return isinstance(value, (float, np.floating)) and bool(np.isnan(value))


class Estimator:
    """Base of feedclass's estimators: parameters, repr, tags and pickling as scikit-learn's.

    A subclass takes every parameter as a keyword of ``__init__`` and stores it unchanged under
    the same name, as scikit-learn requires; fitted attributes end with ``_``.

    Examples
    --------
    >>> class Scaler(Estimator):
    ...     def __init__(self, factor=2.0, shift=0.0):
    ...         self.factor = factor
    ...         self.shift = shift
    >>> s = Scaler(factor=3.0)
    >>> s
    Scaler(factor=3.0)
    >>> s.set_params(shift=1.0).get_params()
    {'factor': 3.0, 'shift': 1.0}
    >>> class Filler(Estimator):  # a NaN default passed again is unchanged (NaN != NaN)
    ...     def __init__(self, missing=float("nan")):
    ...         self.missing = missing
    >>> Filler(missing=float("nan")), Filler(missing=0.0)
    (Filler(), Filler(missing=0.0))
    """

    @classmethod
    def _get_param_names(cls) -> list[str]:
        """The parameter names of ``__init__``, sorted (scikit-learn's rule)."""
        init = cls.__init__
        if init is object.__init__:
            return []
        names = []
        for p in inspect.signature(init).parameters.values():
            if p.name == "self" or p.kind == p.VAR_KEYWORD:
                continue
            if p.kind == p.VAR_POSITIONAL:
                raise RuntimeError(
                    f"{cls.__name__}.__init__ takes *args: an estimator must name every parameter"
                )
            names.append(p.name)
        return sorted(names)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Get this estimator's parameters.

        Parameters
        ----------
        deep : bool, default True
            Also return the parameters of parameters that are estimators, as ``name__param``.

        Returns
        -------
        dict
            Parameter name -> value.
        """
        out: dict[str, Any] = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{name}__{k}", v) for k, v in value.get_params().items())
            out[name] = value
        return out

    def set_params(self, **params: Any) -> Any:
        """Set parameters (``name`` or ``name__param`` of a nested estimator) and return self.

        Parameters
        ----------
        **params
            New values by parameter name.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            A name that is not a parameter (scikit-learn raises the same).
        """
        if not params:
            return self
        valid = self.get_params(deep=True)
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            name, delim, sub = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {self}. "
                    f"Valid parameters are: {self._get_param_names()!r}."
                )
            if delim:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
                valid[name] = value
        for name, sub_params in nested.items():
            valid[name].set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        # scikit-learn's default: only the parameters that differ from their defaults.
        sig = inspect.signature(type(self).__init__).parameters
        shown = []
        for name in self._get_param_names():
            value = getattr(self, name, None)
            default = sig[name].default if name in sig else inspect.Parameter.empty
            if default is inspect.Parameter.empty or not _same(value, default):
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def __sklearn_tags__(self) -> Any:
        """scikit-learn (>= 1.6) tags of a plain estimator, which subclasses extend."""
        from sklearn.utils import Tags, TargetTags

        return Tags(
            estimator_type=None,
            target_tags=TargetTags(required=False),
            transformer_tags=None,
            regressor_tags=None,
            classifier_tags=None,
        )

    def _more_tags(self) -> dict[str, Any]:
        """The same tags for scikit-learn < 1.6, which reads them from here."""
        return {}

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        state.pop("_sklearn_version", None)  # written by BaseEstimator before this class
        self.__dict__.update(state)

    # -- metadata routing (scikit-learn >= 1.3), as BaseEstimator's _MetadataRequester ----------
    def get_metadata_routing(self) -> Any:
        """What metadata (``sample_weight``, ``groups``, ...) each method asks for.

        Read by scikit-learn's meta-estimators (``cross_validate``, ``GridSearchCV``,
        ``Pipeline``) when ``sklearn.set_config(enable_metadata_routing=True)``: every keyword
        of ``fit``, ``partial_fit``, ``score``, ``predict``, ... other than ``X`` and ``y`` is
        metadata, unrequested (None) until a ``set_<method>_request`` call says otherwise.

        Returns
        -------
        sklearn.utils.metadata_routing.MetadataRequest

        Examples
        --------
        >>> class Weighted(Estimator):
        ...     def fit(self, X, y, sample_weight=None):
        ...         return self
        >>> Weighted().get_metadata_routing().fit.requests
        {'sample_weight': None}
        """
        from sklearn.utils.metadata_routing import MetadataRequest

        requests = MetadataRequest(owner=type(self).__name__)
        for method in _ROUTED_METHODS:
            for name in _metadata_params(self, method):
                getattr(requests, method).add_request(param=name, alias=None)
        asked: dict[str, dict[str, Any]] = self.__dict__.get("_metadata_request", {})
        for method, params in asked.items():
            for name, alias in params.items():
                getattr(requests, method).add_request(param=name, alias=alias)
        return requests

    def _set_request(self, method: str, params: dict[str, Any]) -> Any:
        """Record which metadata ``method`` asks for (``set_<method>_request``); return self."""
        import sklearn

        if not sklearn.get_config().get("enable_metadata_routing", False):
            raise RuntimeError(
                f"set_{method}_request is only available when metadata routing is enabled; "
                "call sklearn.set_config(enable_metadata_routing=True) first"
            )
        known = _metadata_params(self, method)
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise TypeError(
                f"set_{method}_request got unexpected arguments {unknown!r}; "
                f"{type(self).__name__}.{method} takes the metadata {list(known)!r}"
            )
        for name, alias in params.items():
            if not (alias is None or isinstance(alias, (bool, str))):
                raise ValueError(
                    f"set_{method}_request({name}=...) must be True, False, None or an alias "
                    f"(str); got {alias!r} instead"
                )
        asked = MetadataRequests(self.__dict__.get("_metadata_request", {}))
        asked[method] = {**asked.get(method, {}), **params}
        self._metadata_request = asked
        return self

    def set_fit_request(self, **params: Any) -> Any:
        """Ask for metadata in ``fit`` (True: pass it, False: don't, str: under that alias).

        Only with ``sklearn.set_config(enable_metadata_routing=True)``, as in scikit-learn.

        Returns
        -------
        self

        Examples
        --------
        >>> import sklearn
        >>> class Weighted(Estimator):
        ...     def fit(self, X, y, sample_weight=None):
        ...         return self
        >>> with sklearn.config_context(enable_metadata_routing=True):
        ...     Weighted().set_fit_request(sample_weight=True).get_metadata_routing().fit.requests
        {'sample_weight': True}
        """
        return self._set_request("fit", params)

    def set_partial_fit_request(self, **params: Any) -> Any:
        """Ask for metadata in ``partial_fit``, as :meth:`set_fit_request`."""
        return self._set_request("partial_fit", params)

    def set_score_request(self, **params: Any) -> Any:
        """Ask for metadata in ``score``, as :meth:`set_fit_request`."""
        return self._set_request("score", params)

    def set_predict_request(self, **params: Any) -> Any:
        """Ask for metadata in ``predict``, as :meth:`set_fit_request`."""
        return self._set_request("predict", params)

    def set_transform_request(self, **params: Any) -> Any:
        """Ask for metadata in ``transform``, as :meth:`set_fit_request`."""
        return self._set_request("transform", params)


class MetadataRequests(dict):
    """What ``set_<method>_request`` recorded: method -> {metadata name: True/False/None/alias}.

    A plain dict that scikit-learn's ``clone`` copies (it clones ``_metadata_request``).

    Examples
    --------
    >>> from sklearn.base import clone
    >>> clone(MetadataRequests({"fit": {"sample_weight": True}}))
    {'fit': {'sample_weight': True}}
    """

    def __sklearn_clone__(self) -> MetadataRequests:
        return MetadataRequests({k: dict(v) for k, v in self.items()})


#: The methods scikit-learn routes metadata to one by one (its SIMPLE_METHODS).
_ROUTED_METHODS = (
    "fit",
    "partial_fit",
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "score",
    "split",
    "transform",
    "inverse_transform",
)

#: Arguments that are data, not metadata (scikit-learn's rule).
_DATA_ARGS = frozenset({"X", "y", "Y", "Xt", "yt"})


def _metadata_params(obj: Any, method: str) -> tuple[str, ...]:
    """The metadata keywords of ``obj``'s ``method``: every named argument but the data."""
    func = getattr(obj, method, None)
    if func is None or not callable(func):
        return ()
    return tuple(
        p.name
        for p in inspect.signature(func).parameters.values()
        if p.name not in _DATA_ARGS and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    )


class ClassifierMixin:
    """A classifier's tags and its ``score`` (accuracy), as scikit-learn's ``ClassifierMixin``.

    Put it before :class:`Estimator` among the bases, as scikit-learn orders its mixins.

    Examples
    --------
    >>> class Always(ClassifierMixin, Estimator):
    ...     def predict(self, X):
    ...         return np.array(["a"] * len(X))
    >>> Always().score(["x", "y"], ["a", "b"])
    0.5
    """

    _estimator_type = "classifier"  # what scikit-learn < 1.6 asks in is_classifier

    def __sklearn_tags__(self) -> Any:
        """Mark a classifier whose ``fit`` needs ``y``."""
        from sklearn.utils import ClassifierTags

        tags = super().__sklearn_tags__()  # type: ignore[misc]
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        tags.target_tags.required = True
        return tags

    def _more_tags(self) -> dict[str, Any]:
        """Tags for scikit-learn < 1.6."""
        return {**super()._more_tags(), "requires_y": True}  # type: ignore[misc]

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy of ``predict(X)`` against ``y``.

        Parameters
        ----------
        X : sequence of str
            Texts.
        y : array-like
            True labels.
        sample_weight : array-like, optional
            Weight per row.

        Returns
        -------
        float
            The (weighted) share of rows predicted right.
        """
        from sklearn.metrics import accuracy_score

        pred = self.predict(X)  # type: ignore[attr-defined]
        return float(accuracy_score(y, pred, sample_weight=sample_weight))


class TextInputMixin:
    """Declares string input, so scikit-learn's checks and tools do not feed the estimator numbers.

    Put it first among the bases.

    Examples
    --------
    >>> class Words(TextInputMixin, Estimator):
    ...     pass
    >>> Words()._more_tags()["X_types"]
    ['string']
    """

    def __sklearn_tags__(self) -> Any:
        """String input, not a 2-D array."""
        tags = super().__sklearn_tags__()  # type: ignore[misc]
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags

    def _more_tags(self) -> dict[str, Any]:
        """The same declaration for scikit-learn < 1.6."""
        return {**super()._more_tags(), "X_types": ["string"]}  # type: ignore[misc]


class TransformerMixin:
    """A transformer's tags and ``fit_transform``, as scikit-learn's ``TransformerMixin``.

    Examples
    --------
    >>> class Double(TransformerMixin, Estimator):
    ...     def fit(self, X, y=None):
    ...         return self
    ...     def transform(self, X):
    ...         return np.asarray(X) * 2
    >>> Double().fit_transform([1, 2]).tolist()
    [2, 4]
    """

    def __sklearn_tags__(self) -> Any:
        """Mark a transformer."""
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()  # type: ignore[misc]
        tags.transformer_tags = TransformerTags()
        return tags

    def _more_tags(self) -> dict[str, Any]:
        """Tags for scikit-learn < 1.6."""
        return dict(super()._more_tags())  # type: ignore[misc]

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Fit to ``X``, then transform it.

        Parameters
        ----------
        X : sequence
            Input.
        y : ignored
        **fit_params
            Passed to ``fit``.

        Returns
        -------
        The transformed ``X``.
        """
        return self.fit(X, y, **fit_params).transform(X)  # type: ignore[attr-defined]
