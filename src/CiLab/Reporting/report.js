// Filters the report's cases by outcome; the choice lives in the address (#failed), so a link opens on it.
(function () {
  var buttons = Array.prototype.slice.call(document.querySelectorAll('#filters button'));
  function apply() {
    var filter = location.hash.slice(1);
    if (!buttons.some(function (b) { return b.dataset.filter === filter; })) { filter = 'all'; }
    buttons.forEach(function (b) { b.setAttribute('aria-pressed', String(b.dataset.filter === filter)); });
    document.querySelectorAll('[data-outcome]').forEach(function (element) {
      element.hidden = filter !== 'all' && element.dataset.outcome.split(' ').indexOf(filter) < 0;
    });
  }
  buttons.forEach(function (button) {
    button.addEventListener('click', function () { location.hash = button.dataset.filter; });
  });
  window.addEventListener('hashchange', apply);
  apply();
})();
