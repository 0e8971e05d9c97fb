// token_form.ts: the form asking for an API token after a 401 (docs/dashboard.md "Auth"); the
// token is kept in the tab's sessionStorage and the page polls again at once.

import { setToken } from './api';
import { h } from './dom';

export function tokenForm(onToken: () => void): HTMLFormElement {
  const input = h('input', { type: 'password', 'data-testid': 'token-input', placeholder: 'token', autocomplete: 'off', size: 40 });
  const form = h(
    'form',
    {
      class: 'token-form',
      'data-testid': 'token-form',
      hidden: true,
      onsubmit: (e: Event) => {
        e.preventDefault();
        const token = input.value.trim();
        if (!token) return;
        setToken(token);
        input.value = '';
        form.hidden = true;
        onToken();
      },
    },
    h('label', {}, 'This server needs a token (nasq-server --auth-tokens): ', input),
    h('button', { type: 'submit', 'data-testid': 'token-submit' }, 'Use token'),
  );
  return form;
}
