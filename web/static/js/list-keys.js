/*
 * Keyboard navigation of the lists (我的待办, 已办, 我发起的, 办件查询): in every
 * <table class="nav-list"> the rows take the focus one at a time (a roving tabindex):
 *   J or ↓  next row        K or ↑  previous row
 *   Enter   open the row's first link        /  jump to the filter box
 * Keys typed into a form field are left alone. A plain script, no bundler.
 */
(function () {
  'use strict';

  function rows(table) {
    return Array.prototype.slice.call(table.querySelectorAll('tbody tr'));
  }

  function focusRow(list, index) {
    var target = list[Math.max(0, Math.min(index, list.length - 1))];
    list.forEach(function (row) { row.setAttribute('tabindex', row === target ? '0' : '-1'); });
    target.focus();
  }

  function typing(element) {
    return element && (/^(INPUT|SELECT|TEXTAREA)$/).test(element.tagName);
  }

  function setUp(table) {
    var list = rows(table);
    if (!list.length) {
      return;
    }
    list.forEach(function (row, index) {
      row.setAttribute('tabindex', index === 0 ? '0' : '-1');
      row.classList.add('nav-row');
    });
    table.addEventListener('keydown', function (event) {
      var row = event.target.closest ? event.target.closest('tr') : null;
      var index = list.indexOf(row);
      if (index < 0 || event.altKey || event.ctrlKey || event.metaKey) {
        return;
      }
      if (event.key === 'ArrowDown' || event.key === 'j' || event.key === 'J') {
        focusRow(list, index + 1);
      } else if (event.key === 'ArrowUp' || event.key === 'k' || event.key === 'K') {
        focusRow(list, index - 1);
      } else if (event.key === 'Enter' && event.target === row) {
        var link = row.querySelector('a[href]');
        if (link) {
          window.location.assign(link.href);
        }
      } else {
        return;
      }
      event.preventDefault();
    });
  }

  function start() {
    var tables = document.querySelectorAll('table.nav-list');
    Array.prototype.forEach.call(tables, setUp);
    document.addEventListener('keydown', function (event) {
      if (event.key !== '/' || typing(document.activeElement) || event.ctrlKey || event.metaKey) {
        return;
      }
      var box = document.querySelector('[aria-keyshortcuts="/"]');
      if (box) {
        event.preventDefault();
        box.focus();
      }
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
