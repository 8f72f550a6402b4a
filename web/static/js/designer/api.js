/*
 * The designer pages' link to the server (流程设计): page configuration, texts, and the REST API.
 *
 * The page embeds <script type="application/json" id="designer-config"> (web/designer.py): the
 * API base, the model key, choices for the side panel and the page's texts in its language.
 * The scripts call /api/v1 with a bearer token that POST /designer/token issues for the
 * logged-in designer (the page's CSRF token goes in X-CSRFToken), so the pages use the same
 * engine services and permission checks as any other client of the API.
 *
 * Plain browser script, no bundler: exposes window.OWDesigner.
 */
(function () {
  'use strict';

  var configCache = null;
  var tokenPromise = null;

  function config() {
    if (!configCache) {
      var node = document.getElementById('designer-config');
      configCache = node ? JSON.parse(node.textContent) : { texts: {} };
    }
    return configCache;
  }

  /** A page text with gettext-style %(name)s parameters filled in. */
  function text(key, params) {
    var value = (config().texts || {})[key] || key;
    if (params) {
      value = value.replace(/%\((\w+)\)s/g, function (whole, name) {
        return name in params ? String(params[name]) : whole;
      });
    }
    return value;
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }

  /** POST a JSON body to one of our own session routes (CSRF-protected). */
  function postSession(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        'X-CSRFToken': csrfToken()
      },
      body: JSON.stringify(body || {})
    }).then(readResponse);
  }

  function getSession(url) {
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(readResponse);
  }

  /** {status, ok, data} whatever the body is (JSON, text, or nothing). */
  function readResponse(response, asText) {
    var type = response.headers.get('Content-Type') || '';
    var body = type.indexOf('json') >= 0 && !asText ? response.json() : response.text();
    return body.catch(function () { return null; }).then(function (data) {
      return { status: response.status, ok: response.ok, data: data };
    });
  }

  function token(renew) {
    if (!tokenPromise || renew) {
      tokenPromise = postSession(config().token_url).then(function (result) {
        if (!result.ok || !result.data || !result.data.token) {
          tokenPromise = null;
          throw new Error(errorMessage(result));
        }
        return result.data.token;
      });
    }
    return tokenPromise;
  }

  /**
   * Call /api/v1: request('GET', '/process-models/x/draft') → {status, ok, data}.
   * A 401 (the token expired) gets one new token and one retry.
   */
  function request(method, path, body, retried, asText) {
    return token(false).then(function (bearer) {
      var options = {
        method: method,
        credentials: 'omit',
        headers: { Authorization: 'Bearer ' + bearer, Accept: 'application/json' }
      };
      if (body !== undefined) {
        options.headers['Content-Type'] = 'application/json';
        options.body = JSON.stringify(body);
      }
      return fetch(config().api + path, options).then(function (response) {
        return readResponse(response, asText && response.ok);
      }).then(function (result) {
        if (result.status === 401 && !retried) {
          tokenPromise = null;
          return request(method, path, body, true, asText);
        }
        return result;
      });
    });
  }

  /** The message of an API error body ({"error": {"message"}}), or the HTTP status. */
  function errorMessage(result) {
    if (result && result.data && result.data.error && result.data.error.message) {
      return result.data.error.message;
    }
    if (result && typeof result.data === 'string' && result.data && result.data.length < 200) {
      return result.data;
    }
    return 'HTTP ' + (result ? result.status : '?');
  }

  /** A route the engine half has not shipped yet answers 404 (no route) or 405. */
  function missingRoute(result) {
    return result.status === 405 ||
      (result.status === 404 && (!result.data || !result.data.error ||
        result.data.error.code === 'not_found'));
  }

  function modelPath(suffix) {
    return '/process-models/' + encodeURIComponent(config().key) + (suffix || '');
  }

  /** Every version of the model, oldest first ([] when it has never been deployed). */
  function versions() {
    return request('GET', modelPath('/versions?per_page=200')).then(function (result) {
      if (result.status === 404) {
        return [];
      }
      if (!result.ok) {
        throw new Error(errorMessage(result));
      }
      return result.data.items || [];
    });
  }

  function versionFile(version, name) {
    var path = modelPath('/versions/' + version + '/files/' + name.split('/').map(encodeURIComponent).join('/'));
    return request('GET', path, undefined, false, true).then(function (result) {
      if (!result.ok) {
        throw new Error(errorMessage(result));
      }
      return result.data;
    });
  }

  /**
   * What the editors start from: the draft if there is one, else the newest version (the API
   * answers that with is_draft false).
   * → {files, source: 'draft'|'version', base_version, updated_by, updated_at}
   */
  function loadModel() {
    return request('GET', modelPath('/draft')).then(function (result) {
      if (!result.ok || !result.data || !result.data.files) {
        throw new Error(errorMessage(result));
      }
      return {
        files: result.data.files,
        source: result.data.is_draft === false ? 'version' : 'draft',
        base_version: result.data.base_version,
        updated_by: result.data.updated_by,
        updated_at: result.data.updated_at
      };
    });
  }

  function saveDraft(files) {
    return request('PUT', modelPath('/draft'), { files: files });
  }

  /** The model's main .bpmn file name (the first in name order). */
  function bpmnFileName(files) {
    return Object.keys(files).filter(function (name) { return /\.bpmn(20\.xml)?$/.test(name); }).sort()[0];
  }

  function setStatus(node, message, kind) {
    if (!node) {
      return;
    }
    node.textContent = message || '';
    node.className = node.className.replace(/\bstatus-\w+\b/g, '').trim() +
      (kind ? ' status-' + kind : '');
  }

  function element(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      var value = attributes[name];
      if (value === undefined || value === null || value === false) {
        return;
      }
      if (name === 'text') {
        node.textContent = value;
      } else if (name === 'className') {
        node.className = value;
      } else if (name.indexOf('on') === 0 && typeof value === 'function') {
        node.addEventListener(name.slice(2), value);
      } else {
        node.setAttribute(name, value === true ? '' : value);
      }
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) {
        node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
      }
    });
    return node;
  }

  /** The moddle descriptor of the spiffworkflow namespace (web/static/designer/). */
  function moddleDescriptor() {
    return fetch(config().moddle_url, { credentials: 'same-origin' }).then(function (response) {
      if (!response.ok) {
        throw new Error('HTTP ' + response.status + ' ' + config().moddle_url);
      }
      return response.json();
    });
  }

  /** Ctrl+S / Cmd+S anywhere on the page runs save instead of the browser's "save page". */
  function onSaveShortcut(save) {
    document.addEventListener('keydown', function (event) {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && (event.key || '').toLowerCase() === 's') {
        event.preventDefault();
        save();
      }
    });
  }

  window.OWDesigner = {
    config: config,
    text: text,
    request: request,
    postSession: postSession,
    getSession: getSession,
    errorMessage: errorMessage,
    missingRoute: missingRoute,
    modelPath: modelPath,
    versions: versions,
    versionFile: versionFile,
    loadModel: loadModel,
    saveDraft: saveDraft,
    bpmnFileName: bpmnFileName,
    setStatus: setStatus,
    element: element,
    moddleDescriptor: moddleDescriptor,
    onSaveShortcut: onSaveShortcut
  };
})();
