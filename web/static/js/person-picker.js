/*
 * The person picker (委派, 加签, 转办, 抄送): every <select class="person-picker"> gets a search
 * box above it. Typing narrows the options to the people whose display name, username or
 * department contains the text; in a single choice the first match is selected, so typing a
 * name and pressing Enter submits it. The select itself stays the form field: without this
 * script the page still works. A plain script, no bundler.
 */
(function () {
  'use strict';

  var TEXTS = {
    zh: { search: '搜索人员（姓名、用户名或部门）', none: '没有匹配的人员', found: '找到 {n} 人' },
    en: { search: 'Search people (name, username or department)', none: 'No one matches',
          found: '{n} found' }
  };

  function texts() {
    return (document.documentElement.lang || '').indexOf('en') === 0 ? TEXTS.en : TEXTS.zh;
  }

  function enhance(select) {
    var t = texts();
    var box = document.createElement('input');
    box.type = 'search';
    box.className = 'person-search';
    box.id = select.id + '-search';
    box.setAttribute('autocomplete', 'off');
    box.setAttribute('aria-controls', select.id);
    box.setAttribute('aria-label', t.search);
    box.placeholder = t.search;
    var status = document.createElement('p');
    status.className = 'person-search-status visually-hidden';
    status.setAttribute('aria-live', 'polite');
    select.parentNode.insertBefore(box, select);
    select.parentNode.insertBefore(status, select.nextSibling);

    box.addEventListener('input', function () {
      var query = box.value.trim().toLowerCase();
      var first = null;
      var shown = 0;
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) {
          return;
        }
        var text = (option.getAttribute('data-search') || option.textContent).toLowerCase();
        var match = !query || text.indexOf(query) >= 0;
        option.hidden = !match;
        if (match) {
          shown += 1;
          first = first || option;
        } else if (option.selected && select.multiple === false) {
          option.selected = false;
        }
      });
      if (!select.multiple && query) {
        select.value = first ? first.value : '';
      }
      status.textContent = shown ? t.found.replace('{n}', shown) : t.none;
    });
    box.addEventListener('keydown', function (event) {
      if (event.key === 'ArrowDown') {
        event.preventDefault();
        select.focus();
      }
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll('select.person-picker'), enhance);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
